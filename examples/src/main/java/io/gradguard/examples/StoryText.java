package io.gradguard.examples;

import io.gradguard.clip.NormDistribution;
import io.gradguard.event.AlertEvent;
import io.gradguard.observe.SpikeCause;
import io.gradguard.observe.SpikeSummary;
import java.util.Locale;
import java.util.Optional;

/**
 * The story's steps in words, a few lines each: what the console prints as each step completes and
 * what {@code summary.md} repeats under its sections.
 */
final class StoryText {

    private StoryText() {}

    /**
     * Returns step 1, measure.
     *
     * @param m what the measure phase found
     * @return the text, ending with a newline
     */
    static String measured(Measurement m) {
        NormDistribution d = m.distribution();
        return String.format(
                Locale.ROOT,
                "%d unclipped steps (weights frozen): median %s, p95 %s, p99 %s, max %s;"
                        + " %.0f%% of the steps above %.0fx the median.%n"
                        + "ClipStrategy.calibrate recommends %s (p%.0f).%s%n",
                m.steps(),
                g(d.p50()),
                g(m.p95()),
                g(d.p99()),
                g(d.max()),
                100 * m.tailShare(),
                Measurement.TAIL_FACTOR,
                g(m.recommendation()),
                Measurement.PERCENTILE,
                m.tailShare() > 1 - Measurement.PERCENTILE / 100
                        ? String.format(
                                Locale.ROOT,
                                " More than %.0f%% of the steps spike, so the percentile lands"
                                        + " among the spikes: the rule assumes that they are rare.",
                                100 - Measurement.PERCENTILE)
                        : "");
    }

    /**
     * Returns step 2, clip.
     *
     * @param unguarded the unguarded run
     * @param guarded the run clipped at the recommendation
     * @param comparison the run clipped at the fixed threshold, if any
     * @return the text, ending with a newline
     */
    static String clipped(
            RunResult unguarded, WatchedRun guarded, Optional<WatchedRun> comparison) {
        String fate =
                unguarded
                        .divergence()
                        .map(
                                d ->
                                        String.format(
                                                Locale.ROOT,
                                                "loss %s at batch %d (epoch %d), gradient norm"
                                                        + " %s just before",
                                                d.loss(),
                                                d.batch(),
                                                d.epoch(),
                                                SummaryTable.number(d.normBefore())))
                        .orElse("loss stayed finite");
        StringBuilder text = new StringBuilder("unguarded: " + fate + ".\n");
        text.append(clippedLine(guarded.result()));
        comparison.ifPresent(c -> text.append(clippedLine(c.result())));
        return text.toString();
    }

    private static String clippedLine(RunResult run) {
        return String.format(
                Locale.ROOT,
                "%s (%s): %s, validation AUC %.3f, %s.%n",
                run.settings().label(),
                g(run.settings().strategy().threshold()),
                run.finishedFinite() ? "finished" : "did not finish finite",
                run.validationAuc(),
                clipped(run));
    }

    /**
     * Returns step 3, alert.
     *
     * @param guarded the run clipped at the recommendation
     * @param comparison the run clipped at the fixed threshold, if any
     * @return the text, ending with a newline
     */
    static String alerted(WatchedRun guarded, Optional<WatchedRun> comparison) {
        StringBuilder text = new StringBuilder(alertLine(guarded));
        comparison.ifPresent(c -> text.append(alertLine(c)));
        return text.toString();
    }

    private static String alertLine(WatchedRun run) {
        return run.result().settings().label() + ": " + alertText(run.alert()) + ".\n";
    }

    /**
     * Returns how an alert reads in a sentence.
     *
     * @param alert the first clip-rate alert of a run
     * @return for example {@code "clip rate 12% of the last 100 steps at step 234"}, or {@code "no
     *     alert"}
     */
    static String alertText(Optional<AlertEvent> alert) {
        return alert.map(
                        a ->
                                String.format(
                                        Locale.ROOT,
                                        "clip rate %.0f%% of the last %d steps at step %d",
                                        100 * a.value(),
                                        RunWatch.ALERT_WINDOW,
                                        a.step()))
                .orElse("no alert");
    }

    /**
     * Returns step 4, diagnose: the attribution and each cause as data (name, symptom, fix).
     *
     * @param spikes the guarded run's spike summary
     * @param a the attribution
     * @param batchSize the batch size
     * @return the text, ending with a newline
     */
    static String diagnosed(SpikeSummary spikes, Attribution a, int batchSize) {
        StringBuilder text = new StringBuilder();
        text.append(
                String.format(
                        Locale.ROOT,
                        "%d spikes (norm above %.0fx the recent median); %d of %d spike batches"
                                + " hold a power user (precision %.2f).%nUsers in spike batches of"
                                + " 2+ epochs: %d of the %d power users (recall %.2f), and %d"
                                + " bystanders who shared such a batch twice: a spike names its"
                                + " batch of %d, not the user.%n",
                        spikes.spikeCount(),
                        RunWatch.SPIKE_FACTOR,
                        a.spikeBatchesWithPowerUser(),
                        a.spikeBatches(),
                        a.batchPrecision(),
                        a.namedPowerUsers(),
                        a.powerUsers(),
                        a.userRecall(),
                        a.named() - a.namedPowerUsers(),
                        batchSize));
        for (SpikeCause cause : spikes.causes()) {
            text.append(
                    String.format("Cause %s: %s. Fix: %s.%n", cause, cause.symptom(), cause.fix()));
        }
        if (spikes.causes().isEmpty()) {
            text.append("No cause rule matched.\n");
        }
        return text.toString();
    }

    /**
     * Returns step 5, fix.
     *
     * @param guarded the run on the buggy data clipped at the recommendation
     * @param fixed the run on the fixed data, same clipping
     * @return the text, ending with a newline
     */
    static String fixed(WatchedRun guarded, WatchedRun fixed) {
        RunResult before = guarded.result();
        RunResult after = fixed.result();
        return String.format(
                Locale.ROOT,
                "0/1 mask, clipping kept (%s): %s (was %.1f%%), %s, validation AUC %.3f"
                        + " (was %.3f).%n",
                after.settings().strategy(),
                clipped(after),
                100 * before.statistics().clipRate(),
                alertText(fixed.alert()),
                after.validationAuc(),
                before.validationAuc());
    }

    private static String clipped(RunResult run) {
        return String.format(
                Locale.ROOT,
                "%d of %d steps clipped (%.1f%%)",
                run.statistics().clippedSteps(),
                run.statistics().steps(),
                100 * run.statistics().clipRate());
    }

    /** Formats a threshold or norm with three significant digits. */
    static String g(double value) {
        return Double.isFinite(value)
                ? String.format(Locale.ROOT, "%.3g", value)
                : SummaryTable.number(value);
    }
}
