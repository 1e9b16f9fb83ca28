/**
 * Fused {@link io.gradguard.spi.GradientOps} for DJL's PyTorch engine, backed by a TorchScript
 * module that runs PyTorch's multi-tensor ({@code _foreach}) and AMP kernels on a whole gradient
 * list per call.
 */
package io.gradguard.pytorch;
