package io.gradguard.spi;

/** Validation of a p-norm order. */
public final class NormType {

    private NormType() {}

    /**
     * Checks that {@code normType} is a valid p-norm order: {@code p >= 1} or {@code +inf}.
     *
     * @param normType the order to check
     * @return {@code normType}
     * @throws IllegalArgumentException if it is NaN, below 1 or {@code -inf}
     */
    public static float check(float normType) {
        if (Float.isNaN(normType) || normType < 1f) {
            throw new IllegalArgumentException(
                    "normType must be >= 1 or Float.POSITIVE_INFINITY, got " + normType);
        }
        return normType;
    }
}
