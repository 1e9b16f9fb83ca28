/**
 * What an engine implements, and what it may use: {@link io.gradguard.spi.GradientOps}, the fused
 * multi-tensor kernels an engine module provides through {@link
 * io.gradguard.spi.GradientOpsProvider} (found with {@link java.util.ServiceLoader}), and the
 * helpers an implementation shares with GradGuard ({@link io.gradguard.spi.NormType}, {@link
 * io.gradguard.spi.DeviceScalars}, {@link io.gradguard.spi.Arguments}, and {@link
 * io.gradguard.spi.ClipCoefficient}, the one rule for the clipping coefficient). The generic
 * implementation, on DJL's public NDArray API, and the lookup are package-private here. The
 * compatibility kit for an implementation is the {@code gradguard-test-kit} artifact.
 */
package io.gradguard.spi;
