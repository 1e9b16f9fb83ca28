package io.gradguard;

/**
 * The host values of one optimizer step, read in one transfer.
 *
 * @param totalNorm the pre-clip norm of the true gradient
 * @param coefficient the factor the strategy applied
 * @param clipped whether the strategy changed the gradient
 * @param nonFinite whether a NaN or infinite value was found
 */
record StepMeasurement(float totalNorm, float coefficient, boolean clipped, boolean nonFinite) {

    /**
     * Decodes {@code [norm, coef, clipped, flag]}; without a flag, non-finite means a non-finite
     * norm.
     */
    static StepMeasurement of(float[] values, boolean hasFlag) {
        boolean nonFinite = hasFlag ? values[3] > 0f : !Float.isFinite(values[0]);
        return new StepMeasurement(values[0], values[1], values[2] > 0f, nonFinite);
    }
}
