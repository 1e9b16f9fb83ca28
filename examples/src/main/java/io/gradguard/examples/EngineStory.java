package io.gradguard.examples;

import ai.djl.translate.TranslateException;
import io.gradguard.clip.ClipStrategy;
import io.gradguard.micrometer.GradGuardMetrics;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * The demo's story on one engine, in order: measure the unclipped norms, train unguarded, clip at
 * the recommended threshold (and at a fixed one for comparison), watch the clip rate, attribute the
 * spikes, and retrain on the fixed data with clipping kept.
 *
 * @param measurement the measure phase's distribution and recommendation
 * @param unguarded the unguarded run on the buggy data
 * @param guarded the run on the buggy data clipped at the recommendation
 * @param comparison the run on the buggy data clipped at the fixed threshold, if asked for
 * @param fixed the run on the data with the 0/1 mask, clipping kept
 * @param attribution the guarded run's spikes scored against the power users
 */
public record EngineStory(
        Measurement measurement,
        RunResult unguarded,
        WatchedRun guarded,
        Optional<WatchedRun> comparison,
        WatchedRun fixed,
        Attribution attribution) {

    /**
     * Returns every run in story order, for tables.
     *
     * @return unguarded, guarded, comparison (if any), fixed
     */
    public List<RunResult> runs() {
        List<RunResult> runs = new ArrayList<>();
        runs.add(unguarded);
        runs.add(guarded.result());
        comparison.ifPresent(c -> runs.add(c.result()));
        runs.add(fixed.result());
        return runs;
    }

    /**
     * What to run besides the base settings.
     *
     * @param measureSteps how many steps the measure phase observes, {@code >= 1}
     * @param strategy the clip strategy of the guarded runs
     * @param comparisonThreshold the fixed threshold of the comparison run, or null for none
     * @param hooks whether to show DJL's progress
     */
    public record Plan(
            int measureSteps,
            StrategyChoice strategy,
            Float comparisonThreshold,
            RunHooks hooks,
            MeterRegistry registry) {}

    /**
     * Tells the story on one engine, printing each step as it completes.
     *
     * @param base the unguarded run's settings
     * @param data the data with the buggy mask
     * @param plan what to run
     * @param console where each step is printed
     * @return the story
     * @throws IOException if DJL fails to read a batch
     * @throws TranslateException if DJL fails to prepare a batch
     */
    static EngineStory tell(RunSettings base, ChurnData data, Plan plan, StoryConsole console)
            throws IOException, TranslateException {
        Measurement measurement = Measurement.run(base, data, plan.measureSteps(), plan.hooks());
        console.step(1, StoryText.measured(measurement));
        RunResult unguarded = TrainingRun.run(base, data, plan.hooks());
        float threshold = measurement.recommendation();
        WatchedRun guarded =
                watched(
                        base.with(
                                "clip-p" + (int) Measurement.PERCENTILE,
                                plan.strategy().create(threshold),
                                false),
                        data,
                        plan);
        Optional<WatchedRun> comparison = Optional.empty();
        if (plan.comparisonThreshold() != null) {
            float fixedThreshold = plan.comparisonThreshold();
            String label = "clip-" + fixedThreshold;
            comparison =
                    Optional.of(
                            watched(
                                    base.with(label, plan.strategy().create(fixedThreshold), false),
                                    data,
                                    plan));
        }
        console.step(2, StoryText.clipped(unguarded, guarded, comparison));
        console.step(3, StoryText.alerted(guarded, comparison));
        Attribution attribution = Attribution.of(guarded.spikes(), data);
        console.step(4, StoryText.diagnosed(guarded.spikes(), attribution, base.batchSize()));
        // Clipping stays on as insurance, recalibrated on the fixed data while it trains: the first
        // measureSteps steps observe, then it clips at their p98.
        ClipStrategy insurance =
                plan.strategy() == StrategyChoice.GLOBAL_NORM
                        ? ClipStrategy.calibrate(plan.measureSteps(), Measurement.PERCENTILE, true)
                        : plan.strategy().create(threshold);
        WatchedRun fixed =
                watched(base.with("fixed-mask", insurance, false), data.withBinaryMask(), plan);
        console.step(5, StoryText.fixed(guarded, fixed));
        return new EngineStory(measurement, unguarded, guarded, comparison, fixed, attribution);
    }

    private static WatchedRun watched(RunSettings settings, ChurnData data, Plan plan)
            throws IOException, TranslateException {
        RunWatch watch = new RunWatch(meters(settings, plan.registry()));
        RunResult result =
                TrainingRun.run(settings, data, plan.hooks().withObservers(watch.observers()));
        return new WatchedRun(result, watch.firstAlert(), watch.alertCount(), watch.spikes());
    }

    /**
     * Returns the meters of one watched run, bound to {@code registry} and tagged with the run's
     * label and engine; null without a registry. The norm's statistics cover the whole run, so that
     * the final scrape summarizes it.
     */
    private static GradGuardMetrics meters(RunSettings settings, MeterRegistry registry) {
        if (registry == null) {
            return null;
        }
        GradGuardMetrics metrics =
                GradGuardMetrics.builder()
                        .setName(settings.label())
                        .optTags(Tags.of("engine", settings.engine().toLowerCase(Locale.ROOT)))
                        .optStatisticsWindow(Duration.ofDays(1))
                        .build();
        metrics.bindTo(registry);
        return metrics;
    }
}
