package io.gradguard.clip;

/**
 * Thrown when gradients hold NaN or infinite values and the configuration says to stop rather than
 * skip or propagate: {@link GradientClipping#clipGradNorm(java.util.List, float, float, boolean)}
 * with {@code errorIfNonFinite}, or a listener with the {@code ERROR} policy.
 */
public class NonFiniteGradientException extends IllegalStateException {

    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param message what was found, where, and what to do
     */
    public NonFiniteGradientException(String message) {
        super(message);
    }
}
