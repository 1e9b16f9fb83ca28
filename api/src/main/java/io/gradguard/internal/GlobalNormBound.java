package io.gradguard.internal;

/**
 * Marks a clip strategy that is exactly {@code clip_grad_norm_} at a fixed bound, with no state, so
 * that the step can run it inside one {@link io.gradguard.spi.GradientOps#globalNormStep} call
 * instead of through {@code ClipStrategy.apply}.
 */
public interface GlobalNormBound {

    /**
     * Returns the bound on the global norm of the true gradient.
     *
     * @return the finite, positive bound
     */
    float maxNorm();

    /**
     * Returns the order of the norm.
     *
     * @return {@code p >= 1}, or {@link Float#POSITIVE_INFINITY}
     */
    float normType();
}
