/**
 * Fused {@link io.gradguard.spi.GradientOps} for DJL's MXNet engine, on MXNet's multi-tensor
 * operators ({@code multi_sum_sq}, {@code multi_all_finite}, {@code reset_arrays}) and the ADD
 * gradient request for accumulation.
 *
 * <p>The module's tests run the {@code GradientOps} compatibility kit of {@code gradguard-test-kit}
 * on {@link MxGradientOps} ({@code MxFusedOpsContractTest}) and on the generic implementation, each
 * as a short subclass of {@code io.gradguard.testkit.GradientOpsContractKit}.
 */
package io.gradguard.mxnet;
