package io.gradguard.micrometer;

import static java.util.stream.Collectors.toSet;
import static org.testng.Assert.assertEquals;
import static org.testng.Assert.assertNotNull;
import static org.testng.Assert.assertTrue;

import io.gradguard.StepReport;
import io.gradguard.event.AlertEvent;
import io.gradguard.observe.ClipRateMonitor;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.MockClock;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.distribution.CountAtBucket;
import io.micrometer.core.instrument.distribution.HistogramSnapshot;
import io.micrometer.core.instrument.distribution.ValueAtPercentile;
import io.micrometer.core.instrument.simple.SimpleConfig;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.Arrays;
import java.util.Random;
import java.util.Set;
import org.testng.annotations.Test;

/** {@link GradGuardMetrics} on Micrometer's in-memory {@link SimpleMeterRegistry}. */
public class GradGuardMetricsTest {

    private static double counter(MeterRegistry registry, String name) {
        return registry.get(name).tag(GradGuardMetrics.GUARD_TAG, "g").counter().count();
    }

    private static double gauge(MeterRegistry registry, String name) {
        return registry.get(name).tag(GradGuardMetrics.GUARD_TAG, "g").gauge().value();
    }

    private static double alerts(MeterRegistry registry, AlertEvent.Kind kind) {
        return registry.get(GradGuardMetrics.ALERTS)
                .tag(GradGuardMetrics.KIND_TAG, GradGuardMetrics.kindTag(kind))
                .counter()
                .count();
    }

    @Test
    public void theHandWorkedStepsGiveTheHandWorkedValues() {
        MeterRegistry registry = new SimpleMeterRegistry();
        GradGuardMetrics metrics =
                GradGuardMetrics.builder().setName("g").optBuckets(SyntheticSteps.BUCKETS).build();
        metrics.bindTo(registry);
        SyntheticSteps.feed(metrics);

        assertEquals(counter(registry, GradGuardMetrics.STEPS), SyntheticSteps.STEPS);
        assertEquals(counter(registry, GradGuardMetrics.CLIPPED), SyntheticSteps.CLIPPED);
        assertEquals(counter(registry, GradGuardMetrics.SKIPPED), SyntheticSteps.SKIPPED);
        assertEquals(counter(registry, GradGuardMetrics.NON_FINITE), SyntheticSteps.NON_FINITE);
        assertEquals(gauge(registry, GradGuardMetrics.LOSS_SCALE), SyntheticSteps.LOSS_SCALE);
        assertEquals(gauge(registry, GradGuardMetrics.CLIP_RATE), SyntheticSteps.CLIP_RATE, 1e-12);

        DistributionSummary norm = registry.get(GradGuardMetrics.NORM).summary();
        assertEquals((double) norm.count(), SyntheticSteps.NORM_COUNT);
        assertEquals(norm.totalAmount(), SyntheticSteps.NORM_SUM, 1e-12);
        assertEquals(norm.max(), SyntheticSteps.NORM_MAX);
        CountAtBucket[] buckets = norm.takeSnapshot().histogramCounts();
        assertEquals(buckets.length, 2, Arrays.toString(buckets));
        assertEquals(buckets[0].bucket(), 1.0);
        assertEquals(buckets[0].count(), SyntheticSteps.AT_OR_BELOW_1);
        assertEquals(buckets[1].bucket(), 2.5);
        assertEquals(buckets[1].count(), SyntheticSteps.AT_OR_BELOW_2_5);

        assertEquals(alerts(registry, AlertEvent.Kind.CLIP_RATE), SyntheticSteps.CLIP_RATE_ALERTS);
        assertEquals(alerts(registry, AlertEvent.Kind.SPIKE), SyntheticSteps.SPIKE_ALERTS);
        assertEquals(alerts(registry, AlertEvent.Kind.RECURRING_SPIKE), 0.0);
        assertEquals(alerts(registry, AlertEvent.Kind.LOSS_SCALE_FLOOR), 0.0);
    }

    @Test
    public void theClipRateUsesTheConfiguredWindow() {
        MeterRegistry registry = new SimpleMeterRegistry();
        GradGuardMetrics metrics =
                GradGuardMetrics.builder().setName("g").optClipRateWindow(4).build();
        metrics.bindTo(registry);
        SyntheticSteps.feedSteps(metrics);
        assertEquals(
                gauge(registry, GradGuardMetrics.CLIP_RATE),
                SyntheticSteps.CLIP_RATE_WINDOW_4,
                1e-12);
    }

    @Test
    public void gaugesAreNaNAndCountersZeroBeforeTheFirstStep() {
        MeterRegistry registry = new SimpleMeterRegistry();
        GradGuardMetrics.of("g").bindTo(registry);
        assertTrue(Double.isNaN(gauge(registry, GradGuardMetrics.LOSS_SCALE)));
        assertTrue(Double.isNaN(gauge(registry, GradGuardMetrics.CLIP_RATE)));
        assertEquals(counter(registry, GradGuardMetrics.STEPS), 0.0);
        for (AlertEvent.Kind kind : AlertEvent.Kind.values()) {
            assertEquals(alerts(registry, kind), 0.0, kind.name());
        }
    }

    @Test
    public void everyMeterCarriesTheGuardTagAndTheUsersTags() {
        MeterRegistry registry = new SimpleMeterRegistry();
        GradGuardMetrics.builder()
                .setName("churn")
                .optTags(Tags.of("engine", "pytorch", "model", "lstm"))
                .build()
                .bindTo(registry);
        // Seven meters and the alert counter once per kind; Micrometer adds one gauge per
        // percentile of the norm.
        assertEquals(
                registry.getMeters().stream().map(m -> m.getId().getName()).collect(toSet()),
                Set.of(
                        GradGuardMetrics.NORM,
                        GradGuardMetrics.NORM + ".percentile",
                        GradGuardMetrics.STEPS,
                        GradGuardMetrics.CLIPPED,
                        GradGuardMetrics.SKIPPED,
                        GradGuardMetrics.NON_FINITE,
                        GradGuardMetrics.LOSS_SCALE,
                        GradGuardMetrics.CLIP_RATE,
                        GradGuardMetrics.ALERTS));
        assertEquals(registry.getMeters().size(), 7 + AlertEvent.Kind.values().length + 3);
        for (Meter meter : registry.getMeters()) {
            Meter.Id id = meter.getId();
            assertTrue(id.getName().startsWith("gradguard."), id.toString());
            assertEquals(id.getTag(GradGuardMetrics.GUARD_TAG), "churn", id.toString());
            assertEquals(id.getTag("engine"), "pytorch", id.toString());
            assertEquals(id.getTag("model"), "lstm", id.toString());
            if (!id.getName().endsWith(".percentile")) { // Micrometer's, without a description
                assertNotNull(id.getDescription(), id.toString());
            }
        }
    }

    @Test
    public void theDefaultPercentilesAreTheMedianP95AndP99WithinMicrometersPrecision() {
        MeterRegistry registry = new SimpleMeterRegistry();
        GradGuardMetrics metrics = GradGuardMetrics.of("g");
        metrics.bindTo(registry);
        // Norms 1, 2, ..., 1000: the p-quantile is about 1000 p.
        for (int i = 1; i <= 1000; i++) {
            metrics.onStep(
                    new StepReport(i - 1, 0, i - 1, i, 1f, false, 1f, false, false, 1), null);
        }
        HistogramSnapshot snapshot = registry.get(GradGuardMetrics.NORM).summary().takeSnapshot();
        ValueAtPercentile[] percentiles = snapshot.percentileValues();
        assertEquals(percentiles.length, 3, Arrays.toString(percentiles));
        double[] expected = {0.5, 0.95, 0.99};
        for (int i = 0; i < 3; i++) {
            assertEquals(percentiles[i].percentile(), expected[i]);
            // One significant digit of precision in Micrometer's histogram: within 10%.
            double exact = 1000 * expected[i];
            assertEquals(percentiles[i].value(), exact, exact * 0.1, percentiles[i].toString());
        }
    }

    @Test
    public void customPercentilesReplaceTheDefaultsAndNoneMeansNone() {
        MeterRegistry registry = new SimpleMeterRegistry();
        GradGuardMetrics.builder().setName("a").optPercentiles(0.9).build().bindTo(registry);
        GradGuardMetrics.builder().setName("b").optPercentiles().build().bindTo(registry);
        for (String guard : new String[] {"a", "b"}) {
            registry.get(GradGuardMetrics.NORM)
                    .tag(GradGuardMetrics.GUARD_TAG, guard)
                    .summary()
                    .record(1);
        }
        ValueAtPercentile[] a =
                registry.get(GradGuardMetrics.NORM)
                        .tag(GradGuardMetrics.GUARD_TAG, "a")
                        .summary()
                        .takeSnapshot()
                        .percentileValues();
        assertEquals(a.length, 1);
        assertEquals(a[0].percentile(), 0.9);
        ValueAtPercentile[] b =
                registry.get(GradGuardMetrics.NORM)
                        .tag(GradGuardMetrics.GUARD_TAG, "b")
                        .summary()
                        .takeSnapshot()
                        .percentileValues();
        assertEquals(b.length, 0);
    }

    @Test
    public void theMaximumDecaysAfterTheStatisticsWindowUnlessItIsLonger() {
        MockClock clock = new MockClock();
        MeterRegistry registry = new SimpleMeterRegistry(SimpleConfig.DEFAULT, clock);
        GradGuardMetrics.of("short").bindTo(registry);
        GradGuardMetrics.builder()
                .setName("long")
                .optStatisticsWindow(Duration.ofHours(1))
                .build()
                .bindTo(registry);
        for (String guard : new String[] {"short", "long"}) {
            registry.get(GradGuardMetrics.NORM)
                    .tag(GradGuardMetrics.GUARD_TAG, guard)
                    .summary()
                    .record(7);
        }
        // Micrometer's default window is two minutes; after three, the value is gone from it.
        clock.add(Duration.ofMinutes(3));
        assertEquals(
                registry.get(GradGuardMetrics.NORM)
                        .tag(GradGuardMetrics.GUARD_TAG, "short")
                        .summary()
                        .max(),
                0.0);
        assertEquals(
                registry.get(GradGuardMetrics.NORM)
                        .tag(GradGuardMetrics.GUARD_TAG, "long")
                        .summary()
                        .max(),
                7.0);
    }

    @Test
    public void everyBoundRegistryCountsTheStepsThatFollowItsBinding() {
        MeterRegistry first = new SimpleMeterRegistry();
        MeterRegistry second = new SimpleMeterRegistry();
        GradGuardMetrics metrics = GradGuardMetrics.of("g");
        metrics.bindTo(first);
        metrics.onStep(SyntheticSteps.REPORTS.get(0), null);
        metrics.bindTo(second);
        SyntheticSteps.feed(metrics);
        assertEquals(counter(first, GradGuardMetrics.STEPS), SyntheticSteps.STEPS + 1);
        assertEquals(counter(second, GradGuardMetrics.STEPS), SyntheticSteps.STEPS);
        // The gauges read one state: the same in both.
        assertEquals(gauge(second, GradGuardMetrics.LOSS_SCALE), SyntheticSteps.LOSS_SCALE);
        assertEquals(
                gauge(first, GradGuardMetrics.CLIP_RATE),
                gauge(second, GradGuardMetrics.CLIP_RATE));
        assertEquals(alerts(second, AlertEvent.Kind.SPIKE), SyntheticSteps.SPIKE_ALERTS);
    }

    @Test
    public void theClipRateGaugeAgreesWithClipRateMonitorAtEveryStep() {
        long seed = 20261130L;
        Random random = new Random(seed);
        int window = 50;
        MeterRegistry registry = new SimpleMeterRegistry();
        GradGuardMetrics metrics =
                GradGuardMetrics.builder().setName("g").optClipRateWindow(window).build();
        metrics.bindTo(registry);
        ClipRateMonitor monitor = ClipRateMonitor.builder().optWindow(window).build();
        for (int step = 0; step < 1000; step++) {
            // Clipping comes in bursts (a phase of 30% in the middle), some steps are skipped.
            double p = step >= 400 && step < 600 ? 0.3 : 0.05;
            boolean clipped = random.nextDouble() < p;
            boolean skipped = random.nextDouble() < 0.03;
            StepReport report =
                    new StepReport(step, 0, step, 1f, 1f, clipped, 1f, false, skipped, 1);
            metrics.onStep(report, null);
            monitor.onStep(report, null);
            assertEquals(
                    gauge(registry, GradGuardMetrics.CLIP_RATE),
                    monitor.rate(),
                    1e-12,
                    "step " + step + ", seed " + seed);
        }
    }
}
