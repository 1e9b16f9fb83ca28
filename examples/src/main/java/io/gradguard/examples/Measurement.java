package io.gradguard.examples;

import ai.djl.translate.TranslateException;
import io.gradguard.StepReport;
import io.gradguard.clip.ClipStrategy;
import io.gradguard.clip.NormDistribution;
import io.gradguard.clip.ThresholdCalibration;
import java.io.IOException;
import java.util.Arrays;
import java.util.List;

/**
 * The demo's measure phase and what it found: the unclipped gradient norms of the first {@code
 * steps} optimizer steps, summarised by {@link ClipStrategy#calibrate(int, float, boolean)}, which
 * recommends the threshold at their {@value #PERCENTILE}th percentile.
 *
 * <p>The phase runs forward and backward passes over the training batches with the learning rate
 * set to 0: the weights stay where they were initialised. Unclipped updates on this data blow up
 * within a few dozen steps (the unguarded run shows it), so norms logged while training unclipped
 * would describe the blow-up, not the data. The usual advice observes 500 to 1,000 steps; the demo
 * observes fewer (one epoch by default).
 *
 * @param steps how many norms were observed
 * @param distribution the observed distribution as calibration reports it
 * @param p95 the 95th percentile of the same norms (linear interpolation, as calibration uses)
 * @param recommendation the recommended threshold: the {@value #PERCENTILE}th percentile
 * @param tailShare the share of observed norms above {@value #TAIL_FACTOR} times the median
 */
public record Measurement(
        int steps,
        NormDistribution distribution,
        float p95,
        float recommendation,
        double tailShare) {

    /** The percentile at which calibration recommends the threshold, within the usual 95 to 99. */
    public static final float PERCENTILE = 98f;

    /** A norm this many times the median counts toward {@link #tailShare()}. */
    public static final double TAIL_FACTOR = 10;

    /**
     * Runs the measure phase.
     *
     * @param base the settings of the engine's runs (model, optimizer, batch size, seed)
     * @param data the data set
     * @param steps how many optimizer steps to observe, {@code >= 1}
     * @param hooks whether to show progress (observers are not used)
     * @return what was measured
     * @throws IOException if DJL fails to read a batch
     * @throws TranslateException if DJL fails to prepare a batch
     * @throws IllegalStateException if fewer than {@code steps} finite norms were observed
     */
    public static Measurement run(RunSettings base, ChurnData data, int steps, RunHooks hooks)
            throws IOException, TranslateException {
        if (steps < 1) {
            throw new IllegalArgumentException("steps must be >= 1, got " + steps);
        }
        ThresholdCalibration calibration = ClipStrategy.calibrate(steps, PERCENTILE, false);
        int batches = (data.spec().trainUsers() + base.batchSize() - 1) / base.batchSize();
        int stepsPerEpoch = Math.max(1, batches / base.accumulationSteps());
        // With float16 the first steps overflow at the initial loss scale and are skipped without
        // a finite norm: one more epoch leaves room for them.
        int epochs = (steps + stepsPerEpoch - 1) / stepsPerEpoch + (base.mixedPrecision() ? 1 : 0);
        RunSettings settings = base.measuring("measure", calibration, 0f, epochs);
        RunResult run = TrainingRun.run(settings, data, hooks.withObservers(List.of()));
        NormDistribution distribution =
                calibration
                        .distribution()
                        .orElseThrow(
                                () ->
                                        new IllegalStateException(
                                                "the measure phase saw fewer than "
                                                        + steps
                                                        + " finite gradient norms"));
        float[] norms = firstFinite(run, steps);
        Arrays.sort(norms);
        int tail = 0;
        for (float norm : norms) {
            tail += norm > TAIL_FACTOR * distribution.p50() ? 1 : 0;
        }
        return new Measurement(
                steps,
                distribution,
                percentile(norms, 95),
                calibration.recommendation().orElseThrow(),
                (double) tail / norms.length);
    }

    private static float[] firstFinite(RunResult run, int steps) {
        float[] norms = new float[steps];
        int n = 0;
        for (StepReport report : run.reports()) {
            if (n < steps && Float.isFinite(report.totalNorm())) {
                norms[n++] = report.totalNorm();
            }
        }
        return Arrays.copyOf(norms, n);
    }

    /**
     * Returns the {@code p}th percentile of ascending values with linear interpolation between
     * closest ranks (numpy's default): rank {@code r = p / 100 (n - 1)}, value {@code v[floor r] +
     * (r - floor r) (v[floor r + 1] - v[floor r])}.
     *
     * @param sorted the values, ascending, at least one
     * @param p the percentile in [0, 100]
     * @return the percentile
     */
    static float percentile(float[] sorted, double p) {
        double rank = p / 100 * (sorted.length - 1);
        int low = (int) Math.floor(rank);
        int high = Math.min(sorted.length - 1, low + 1);
        return (float) (sorted[low] + (rank - low) * (sorted[high] - sorted[low]));
    }
}
