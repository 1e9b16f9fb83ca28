package io.gradguard.micrometer;

import io.gradguard.StepReport;
import io.gradguard.event.AlertEvent;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.EnumMap;
import java.util.Map;

/**
 * The meters of one {@link GradGuardMetrics} in one registry that are written at each step (the
 * gauges read their owner's state when the registry asks). Micrometer's meters are thread-safe.
 *
 * @param registry the registry the meters belong to
 * @param steps every optimizer step
 * @param clipped applied steps whose gradient the strategy changed
 * @param skipped steps whose update was skipped
 * @param nonFinite steps with a NaN or infinite gradient or loss
 * @param norm the finite pre-clip norms
 * @param alerts one counter per alert kind
 */
record BoundMeters(
        MeterRegistry registry,
        Counter steps,
        Counter clipped,
        Counter skipped,
        Counter nonFinite,
        DistributionSummary norm,
        Map<AlertEvent.Kind, Counter> alerts) {

    BoundMeters {
        alerts = new EnumMap<>(alerts);
    }

    /**
     * Counts one step.
     *
     * @param report the step's report
     * @param clippedStep whether the step counts as clipped (applied and changed)
     */
    void record(StepReport report, boolean clippedStep) {
        steps.increment();
        if (clippedStep) {
            clipped.increment();
        }
        if (report.skipped()) {
            skipped.increment();
        }
        if (report.nonFinite()) {
            nonFinite.increment();
        }
        if (Float.isFinite(report.totalNorm())) {
            norm.record(report.totalNorm());
        }
    }

    /**
     * Counts one alert.
     *
     * @param kind the alert's kind
     */
    void alert(AlertEvent.Kind kind) {
        alerts.get(kind).increment();
    }
}
