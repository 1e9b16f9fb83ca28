package io.gradguard.micrometer;

import io.gradguard.StepObserver;
import io.gradguard.StepReport;
import io.gradguard.event.AlertEvent;
import java.util.List;

/**
 * Six hand-written steps and three alerts whose meter values are worked out by hand below, for the
 * tests of every registry.
 *
 * <pre>
 * step  norm  clipped  skipped  nonFinite  scale
 *   0   0.5                                1024
 *   1   3.0   yes                          1024
 *   2   NaN            yes      yes        1024   (overflow)
 *   3   2.0   yes                           512
 *   4   0.25                                512
 *   5   4.0   (yes)    yes                  512   (skipped: not counted as clipped)
 * </pre>
 *
 * Steps 6; clipped 2 (steps 1 and 3); skipped 2; non-finite 1. Finite norms 0.5, 3, 2, 0.25, 4:
 * count 5, sum 9.75, max 4; at or below 1: 2 (0.5, 0.25); at or below 2.5: 3 (and 2). Latest scale
 * 512. Clip rate over the default window of 100: 2 / 6; over a window of 4 (steps 2-5): 1 / 4.
 * Alerts: clip_rate 2, spike 1, the other kinds 0.
 */
final class SyntheticSteps {

    static final double STEPS = 6;
    static final double CLIPPED = 2;
    static final double SKIPPED = 2;
    static final double NON_FINITE = 1;
    static final double NORM_COUNT = 5;
    static final double NORM_SUM = 9.75;
    static final double NORM_MAX = 4;
    static final double LOSS_SCALE = 512;
    static final double CLIP_RATE = 2.0 / 6;
    static final double CLIP_RATE_WINDOW_4 = 1.0 / 4;
    static final double[] BUCKETS = {1.0, 2.5};
    static final double AT_OR_BELOW_1 = 2;
    static final double AT_OR_BELOW_2_5 = 3;
    static final double CLIP_RATE_ALERTS = 2;
    static final double SPIKE_ALERTS = 1;

    static final List<StepReport> REPORTS =
            List.of(
                    new StepReport(0, 0, 0, 0.5f, 1f, false, 1024f, false, false, 1),
                    new StepReport(1, 0, 1, 3f, 1f / 3, true, 1024f, false, false, 1),
                    new StepReport(2, 0, 2, Float.NaN, Float.NaN, false, 1024f, true, true, 1),
                    new StepReport(3, 0, 3, 2f, 0.5f, true, 512f, false, false, 1),
                    new StepReport(4, 1, 0, 0.25f, 1f, false, 512f, false, false, 1),
                    new StepReport(5, 1, 1, 4f, 0.25f, true, 512f, false, true, 1));

    static final List<AlertEvent> ALERTS =
            List.of(
                    new AlertEvent(3, AlertEvent.Kind.CLIP_RATE, 0.5, 0.1, "clipping"),
                    new AlertEvent(4, AlertEvent.Kind.SPIKE, 40, 10, "a spike"),
                    new AlertEvent(5, AlertEvent.Kind.CLIP_RATE, 0.5, 0.1, "clipping again"));

    private SyntheticSteps() {}

    /** Feeds every report, then every alert. */
    static void feed(GradGuardMetrics metrics) {
        feedSteps(metrics);
        ALERTS.forEach(metrics::recordAlert);
    }

    /** Feeds every report to an observer. */
    static void feedSteps(StepObserver observer) {
        for (StepReport report : REPORTS) {
            observer.onStep(report, null);
        }
    }
}
