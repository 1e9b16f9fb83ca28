package io.gradguard;

/**
 * Running totals over the steps a listener has reported. Immutable snapshot.
 *
 * <p>Counting rules: every optimizer step counts once in {@code steps}, whether it was applied or
 * skipped. A step counts as clipped when the strategy changed its gradient; a skipped step never
 * counts as clipped. {@code maxNorm} is the largest finite pre-clip norm seen (0 before the first
 * finite one); non-finite norms are counted in {@code nonFiniteSteps} instead. A step whose loss
 * was non-finite counts in {@code nonFiniteSteps} and in {@code dataFaultSteps}; {@code
 * nonFiniteSteps - dataFaultSteps} are the overflows.
 *
 * @param steps optimizer steps reported
 * @param clippedSteps steps whose gradient the strategy changed
 * @param skippedSteps steps whose update was skipped
 * @param nonFiniteSteps steps whose gradient or loss held NaN or infinity
 * @param microSteps backward passes (micro-batches) seen
 * @param maxNorm the largest finite pre-clip norm
 * @param dataFaultSteps steps whose loss itself was NaN or infinite (data faults)
 */
public record ClipStatistics(
        long steps,
        long clippedSteps,
        long skippedSteps,
        long nonFiniteSteps,
        long microSteps,
        float maxNorm,
        long dataFaultSteps) {

    /** Statistics of a listener that has seen nothing yet. */
    public static final ClipStatistics EMPTY = new ClipStatistics(0, 0, 0, 0, 0, 0f, 0);

    /**
     * Checks the counts.
     *
     * @param steps the record component {@code steps}
     * @param clippedSteps the record component {@code clippedSteps}
     * @param skippedSteps the record component {@code skippedSteps}
     * @param nonFiniteSteps the record component {@code nonFiniteSteps}
     * @param microSteps the record component {@code microSteps}
     * @param maxNorm the record component {@code maxNorm}
     * @param dataFaultSteps the record component {@code dataFaultSteps}
     * @throws IllegalArgumentException if {@code dataFaultSteps} is negative or exceeds {@code
     *     nonFiniteSteps}
     */
    public ClipStatistics {
        if (dataFaultSteps < 0 || dataFaultSteps > nonFiniteSteps) {
            throw new IllegalArgumentException(
                    "dataFaultSteps must lie in [0, nonFiniteSteps = "
                            + nonFiniteSteps
                            + "], got "
                            + dataFaultSteps);
        }
    }

    /**
     * Statistics without data faults, as written before data faults were told apart.
     *
     * @param steps optimizer steps reported
     * @param clippedSteps steps whose gradient the strategy changed
     * @param skippedSteps steps whose update was skipped
     * @param nonFiniteSteps steps whose gradient held NaN or infinity
     * @param microSteps backward passes (micro-batches) seen
     * @param maxNorm the largest finite pre-clip norm
     */
    public ClipStatistics(
            long steps,
            long clippedSteps,
            long skippedSteps,
            long nonFiniteSteps,
            long microSteps,
            float maxNorm) {
        this(steps, clippedSteps, skippedSteps, nonFiniteSteps, microSteps, maxNorm, 0);
    }

    /**
     * Returns the share of optimizer steps that were clipped, in [0, 1]; 0 before any step.
     *
     * @return {@code clippedSteps / steps}
     */
    public double clipRate() {
        return steps == 0 ? 0.0 : (double) clippedSteps / steps;
    }

    /**
     * Returns these statistics with one more step counted.
     *
     * @param report the step's report
     * @return the updated statistics
     */
    public ClipStatistics plus(StepReport report) {
        boolean finite = Float.isFinite(report.totalNorm());
        return new ClipStatistics(
                steps + 1,
                clippedSteps + (report.clipped() && !report.skipped() ? 1 : 0),
                skippedSteps + (report.skipped() ? 1 : 0),
                nonFiniteSteps + (report.nonFinite() ? 1 : 0),
                microSteps + report.microBatches(),
                finite ? Math.max(maxNorm, report.totalNorm()) : maxNorm,
                dataFaultSteps + (report.dataFault() ? 1 : 0));
    }
}
