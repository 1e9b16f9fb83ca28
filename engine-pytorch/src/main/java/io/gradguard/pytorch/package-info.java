/**
 * Fused {@link io.gradguard.spi.GradientOps} for DJL's PyTorch engine, backed by a TorchScript
 * module that runs PyTorch's multi-tensor ({@code _foreach}) and AMP kernels on a whole gradient
 * list per call.
 *
 * <p>The module's tests run the {@code GradientOps} compatibility kit of {@code gradguard-test-kit}
 * on {@link PtGradientOps} ({@code PtFusedOpsContractTest}) and on the generic implementation, each
 * as a short subclass of {@code io.gradguard.testkit.GradientOpsContractKit}.
 */
package io.gradguard.pytorch;
