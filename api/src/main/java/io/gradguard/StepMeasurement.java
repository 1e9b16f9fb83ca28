package io.gradguard;

/**
 * The host values of one optimizer step, read in one transfer.
 *
 * @param totalNorm the pre-clip norm of the true gradient
 * @param coefficient the factor the strategy applied
 * @param clipped whether the strategy changed the gradient
 * @param nonFinite whether a NaN or infinite value was found in the gradients or the loss
 * @param dataFault whether a loss of the step (any device, any micro-batch) was itself NaN or
 *     infinite
 */
record StepMeasurement(
        float totalNorm, float coefficient, boolean clipped, boolean nonFinite, boolean dataFault) {

    /** The number of step values before the per-parameter flags in a packed read. */
    static final int SIZE = 5;

    /**
     * Decodes {@code [norm, coef, clipped, flag, lossFlag]}; without a gradient flag, non-finite
     * gradients mean a non-finite norm. The loss flag is 0 when no loss was recorded.
     */
    static StepMeasurement of(float[] values, boolean hasFlag) {
        boolean dataFault = values[4] > 0f;
        boolean nonFinite = (hasFlag ? values[3] > 0f : !Float.isFinite(values[0])) || dataFault;
        return new StepMeasurement(values[0], values[1], values[2] > 0f, nonFinite, dataFault);
    }
}
