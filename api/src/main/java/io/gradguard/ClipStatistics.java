package io.gradguard;

/**
 * Running totals over the steps a listener has reported. Immutable snapshot.
 *
 * <p>Counting rules: every optimizer step counts once in {@code steps}, whether it was applied or
 * skipped. A step counts as clipped when the strategy changed its gradient; a skipped step never
 * counts as clipped. {@code maxNorm} is the largest finite pre-clip norm seen (0 before the first
 * finite one); non-finite norms are counted in {@code nonFiniteSteps} instead.
 *
 * @param steps optimizer steps reported
 * @param clippedSteps steps whose gradient the strategy changed
 * @param skippedSteps steps whose update was skipped
 * @param nonFiniteSteps steps whose gradient held NaN or infinity
 * @param microSteps backward passes (micro-batches) seen
 * @param maxNorm the largest finite pre-clip norm
 */
public record ClipStatistics(
        long steps,
        long clippedSteps,
        long skippedSteps,
        long nonFiniteSteps,
        long microSteps,
        float maxNorm) {

    /** Statistics of a listener that has seen nothing yet. */
    public static final ClipStatistics EMPTY = new ClipStatistics(0, 0, 0, 0, 0, 0f);

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
                finite ? Math.max(maxNorm, report.totalNorm()) : maxNorm);
    }
}
