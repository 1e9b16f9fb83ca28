package io.gradguard;

/**
 * What happened at one optimizer step, as read back from the device. Immutable.
 *
 * <p>Counting rules: {@code step} counts optimizer steps (applied or skipped), from 0; {@code
 * microBatches} is the number of backward passes folded into this step (1 without accumulation).
 * {@code totalNorm} is the norm of the true gradient (unscaled, averaged over micro-batches) before
 * clipping, in the strategy's norm; it is NaN or infinite on a non-finite step.
 *
 * @param step the 0-based optimizer step index
 * @param epoch the 0-based epoch the step belongs to
 * @param batchIndex the 0-based index of the step's last batch within its epoch
 * @param totalNorm the pre-clip norm of the true gradient
 * @param coefficient the factor the strategy applied (1 when unchanged)
 * @param clipped whether the strategy changed the gradient
 * @param lossScale the loss scale used for this step's backward (1 without a loss scaler)
 * @param nonFinite whether a NaN or infinite gradient element, or a non-finite loss, was found
 * @param skipped whether the optimizer update was skipped
 * @param microBatches the number of micro-batches accumulated into this step
 * @param dataFault whether the step's loss itself was NaN or infinite (on any device, in any
 *     micro-batch): bad data rather than an overflow; such a step leaves the loss scale unchanged.
 *     Known only when the trainer's loss is a {@link ScaledLoss}, as {@link
 *     GradGuard#trainingConfig} installs it; a non-finite step with a finite loss is an overflow.
 */
public record StepReport(
        long step,
        int epoch,
        long batchIndex,
        float totalNorm,
        float coefficient,
        boolean clipped,
        float lossScale,
        boolean nonFinite,
        boolean skipped,
        int microBatches,
        boolean dataFault) {

    /**
     * A report of a step that was not a data fault.
     *
     * @param step the 0-based optimizer step index
     * @param epoch the 0-based epoch the step belongs to
     * @param batchIndex the 0-based index of the step's last batch within its epoch
     * @param totalNorm the pre-clip norm of the true gradient
     * @param coefficient the factor the strategy applied (1 when unchanged)
     * @param clipped whether the strategy changed the gradient
     * @param lossScale the loss scale used for this step's backward
     * @param nonFinite whether a NaN or infinite gradient element was found
     * @param skipped whether the optimizer update was skipped
     * @param microBatches the number of micro-batches accumulated into this step
     */
    public StepReport(
            long step,
            int epoch,
            long batchIndex,
            float totalNorm,
            float coefficient,
            boolean clipped,
            float lossScale,
            boolean nonFinite,
            boolean skipped,
            int microBatches) {
        this(
                step,
                epoch,
                batchIndex,
                totalNorm,
                coefficient,
                clipped,
                lossScale,
                nonFinite,
                skipped,
                microBatches,
                false);
    }

    /**
     * Checks the counters.
     *
     * @param step the record component {@code step}
     * @param epoch the record component {@code epoch}
     * @param batchIndex the record component {@code batchIndex}
     * @param totalNorm the record component {@code totalNorm}
     * @param coefficient the record component {@code coefficient}
     * @param clipped the record component {@code clipped}
     * @param lossScale the record component {@code lossScale}
     * @param nonFinite the record component {@code nonFinite}
     * @param skipped the record component {@code skipped}
     * @param microBatches the record component {@code microBatches}
     * @param dataFault the record component {@code dataFault}
     */
    public StepReport {
        if (step < 0 || epoch < 0 || batchIndex < 0) {
            throw new IllegalArgumentException(
                    "step, epoch and batchIndex must be >= 0, got "
                            + step
                            + ", "
                            + epoch
                            + ", "
                            + batchIndex);
        }
        if (microBatches < 1) {
            throw new IllegalArgumentException("microBatches must be >= 1, got " + microBatches);
        }
        if (dataFault && !nonFinite) {
            throw new IllegalArgumentException("a dataFault step must also be nonFinite");
        }
    }
}
