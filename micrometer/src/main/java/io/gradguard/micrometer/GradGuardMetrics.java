package io.gradguard.micrometer;

import io.gradguard.StepDetails;
import io.gradguard.StepObserver;
import io.gradguard.StepReport;
import io.gradguard.event.AlertEvent;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.time.Duration;
import java.util.Collections;
import java.util.EnumMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Publishes one guard's steps as Micrometer meters, for Prometheus, Grafana or any registry
 * Micrometer supports. Register it as an observer of the guard and bind it to a registry:
 *
 * <pre>{@code
 * GradGuardMetrics metrics = GradGuardMetrics.builder()
 *         .setName("churn-lstm")                     // the value of the "guard" tag
 *         .optTags(Tags.of("engine", "pytorch"))
 *         .build();
 * metrics.bindTo(registry);                          // before training: counts start here
 * GuardEventPublisher events = new GuardEventPublisher().onAlert(metrics::recordAlert);
 * ClippingTrainingListener guard = ClippingTrainingListener.builder()
 *         .setStrategy(ClipStrategy.globalNorm(1f))
 *         .optObserver(ClipRateMonitor.builder().optPublisher(events).build())
 *         .optObserver(metrics)
 *         .build();
 * }</pre>
 *
 * <p>The meters, each tagged {@value #GUARD_TAG}{@code =<name>} plus the tags given to the builder
 * (names in Micrometer's dot notation; Prometheus shows {@code gradguard.steps.clipped} as {@code
 * gradguard_steps_clipped_total}):
 *
 * <ul>
 *   <li>{@value #NORM}, a distribution summary of the pre-clip norm of every step whose norm is
 *       finite, with the percentiles (default median, p95 and p99) and histogram buckets the
 *       builder sets; Micrometer computes percentiles and the maximum over a decaying time window
 *       (two minutes unless {@link GradGuardMetricsBuilder#optStatisticsWindow} sets it), the count
 *       and the sum over the whole run;
 *   <li>{@value #STEPS}, a counter of optimizer steps, applied or skipped;
 *   <li>{@value #CLIPPED}, a counter of applied steps whose gradient the strategy changed (a
 *       skipped step never counts as clipped);
 *   <li>{@value #SKIPPED}, a counter of steps whose update was skipped;
 *   <li>{@value #NON_FINITE}, a counter of steps with a NaN or infinite gradient or loss;
 *   <li>{@value #LOSS_SCALE}, a gauge of the loss scale of the latest step (1 without a loss
 *       scaler);
 *   <li>{@value #CLIP_RATE}, a gauge of the share of clipped steps, in [0, 1], over the last {@code
 *       min(steps, window)} steps, counted as {@link io.gradguard.observe.ClipRateMonitor} counts
 *       (default window 100, as the monitor's, so that the gauge shows what the monitor judges);
 *   <li>{@value #ALERTS}, a counter of the alerts handed to {@link #recordAlert}, one per {@link
 *       AlertEvent.Kind}, tagged {@value #KIND_TAG}{@code =clip_rate}, {@code spike}, {@code
 *       recurring_spike} or {@code loss_scale_floor}; all four exist from the binding on, at 0.
 * </ul>
 *
 * <p>Both gauges are NaN before the first step. Steps and alerts are counted in every registry
 * bound at that moment; bind before training starts.
 *
 * <p>Like every observer, it makes the guard read each step's report from the device (one transfer
 * per step).
 *
 * <p>Thread safety: steps and alerts may arrive on the training thread while registries are read,
 * or bound, on others. One instance may observe several guards' steps (they are then counted
 * together); steps are serialized internally.
 */
public final class GradGuardMetrics implements StepObserver, MeterBinder {

    /** Distribution summary: the finite pre-clip norms. */
    public static final String NORM = "gradguard.gradient.norm";

    /** Counter: optimizer steps, applied or skipped. */
    public static final String STEPS = "gradguard.steps";

    /** Counter: applied steps whose gradient was clipped. */
    public static final String CLIPPED = "gradguard.steps.clipped";

    /** Counter: steps whose optimizer update was skipped. */
    public static final String SKIPPED = "gradguard.steps.skipped";

    /** Counter: steps with a NaN or infinite gradient or loss. */
    public static final String NON_FINITE = "gradguard.steps.nonfinite";

    /** Gauge: the loss scale of the latest step. */
    public static final String LOSS_SCALE = "gradguard.loss.scale";

    /** Gauge: the share of clipped steps over the rolling window, in [0, 1]. */
    public static final String CLIP_RATE = "gradguard.clip.rate";

    /** Counter: alerts, tagged with their kind. */
    public static final String ALERTS = "gradguard.alerts";

    /** The tag that names the guard on every meter. */
    public static final String GUARD_TAG = "guard";

    /** The tag that holds an alert's kind on {@value #ALERTS}. */
    public static final String KIND_TAG = "kind";

    private final Tags tags;
    private final double[] percentiles;
    private final double[] buckets;
    private final Duration statisticsWindow; // null: Micrometer's default
    private final List<BoundMeters> bound = new CopyOnWriteArrayList<>();
    private final Object stepLock = new Object();
    private final ClipRateWindow window; // guarded by stepLock
    private volatile double lossScale = Double.NaN;
    private volatile double clipRate = Double.NaN;

    GradGuardMetrics(GradGuardMetricsBuilder builder) {
        this.tags = Tags.of(GUARD_TAG, builder.name()).and(builder.tags());
        this.percentiles = builder.percentiles();
        this.buckets = builder.buckets();
        this.statisticsWindow = builder.statisticsWindow();
        this.window = new ClipRateWindow(builder.clipRateWindow());
    }

    /**
     * Returns a builder with the defaults.
     *
     * @return a new builder
     */
    public static GradGuardMetricsBuilder builder() {
        return new GradGuardMetricsBuilder();
    }

    /**
     * Returns the meters of a guard named {@code name}, with the defaults.
     *
     * @param name the value of the {@value #GUARD_TAG} tag
     * @return the binder
     * @throws NullPointerException if {@code name} is null
     * @throws IllegalArgumentException if {@code name} is blank
     */
    public static GradGuardMetrics of(String name) {
        return builder().setName(name).build();
    }

    /**
     * Registers the meters in {@code registry}. A registry may be bound once; several registries
     * may be bound to one instance.
     *
     * @param registry the registry
     * @throws NullPointerException if {@code registry} is null
     * @throws IllegalStateException if this instance is already bound to {@code registry}
     * @throws IllegalArgumentException if {@code registry} already holds the meters of another
     *     guard with the same tags (give each guard its own name)
     */
    @Override
    public void bindTo(MeterRegistry registry) {
        Objects.requireNonNull(registry, "registry");
        synchronized (stepLock) {
            for (BoundMeters meters : bound) {
                if (meters.registry() == registry) {
                    throw new IllegalStateException(
                            "these metrics of " + tags + " are already bound to " + registry);
                }
            }
            Set<Meter> existing = Collections.newSetFromMap(new IdentityHashMap<>());
            existing.addAll(registry.find(LOSS_SCALE).meters());
            Gauge scale =
                    Gauge.builder(LOSS_SCALE, this, m -> m.lossScale)
                            .description("Loss scale of the latest optimizer step")
                            .tags(tags)
                            .strongReference(true)
                            .register(registry);
            if (existing.contains(scale)) {
                throw new IllegalArgumentException(
                        "registry already holds the meters of a guard tagged "
                                + tags
                                + ": give each guard its own name");
            }
            Gauge.builder(CLIP_RATE, this, m -> m.clipRate)
                    .description("Share of clipped optimizer steps over the rolling window")
                    .tags(tags)
                    .strongReference(true)
                    .register(registry);
            bound.add(newMeters(registry));
        }
    }

    /**
     * Counts one step in every bound registry and updates the gauges' state.
     *
     * @param report the step's report
     * @param details unused
     */
    @Override
    public void onStep(StepReport report, StepDetails details) {
        boolean clipped = report.clipped() && !report.skipped();
        synchronized (stepLock) {
            clipRate = window.add(clipped);
            lossScale = report.lossScale();
            for (BoundMeters meters : bound) {
                meters.record(report, clipped);
            }
        }
    }

    /**
     * Counts an alert in every bound registry, under its kind. Subscribe it to the publisher the
     * monitors publish to: {@code events.onAlert(metrics::recordAlert)}.
     *
     * @param alert the alert
     * @throws NullPointerException if {@code alert} is null
     */
    public void recordAlert(AlertEvent alert) {
        Objects.requireNonNull(alert, "alert");
        for (BoundMeters meters : bound) {
            meters.alert(alert.kind());
        }
    }

    /**
     * Returns the tag value an alert kind is counted under.
     *
     * @param kind the kind
     * @return its name in lower case, for example {@code clip_rate}
     */
    public static String kindTag(AlertEvent.Kind kind) {
        return kind.name().toLowerCase(Locale.ROOT);
    }

    private BoundMeters newMeters(MeterRegistry registry) {
        Map<AlertEvent.Kind, Counter> alerts = new EnumMap<>(AlertEvent.Kind.class);
        for (AlertEvent.Kind kind : AlertEvent.Kind.values()) {
            alerts.put(
                    kind,
                    Counter.builder(ALERTS)
                            .description("Alerts raised by the guard's monitors, by kind")
                            .tags(tags)
                            .tag(KIND_TAG, kindTag(kind))
                            .register(registry));
        }
        DistributionSummary.Builder norm =
                DistributionSummary.builder(NORM)
                        .description("Pre-clip global gradient norm of each optimizer step")
                        .tags(tags)
                        .publishPercentiles(percentiles.clone())
                        .serviceLevelObjectives(buckets.clone());
        if (statisticsWindow != null) {
            norm.distributionStatisticExpiry(statisticsWindow);
        }
        return new BoundMeters(
                registry,
                counter(registry, STEPS, "Optimizer steps, applied or skipped"),
                counter(registry, CLIPPED, "Applied optimizer steps whose gradient was clipped"),
                counter(registry, SKIPPED, "Optimizer steps whose update was skipped"),
                counter(registry, NON_FINITE, "Optimizer steps with a NaN or infinite gradient"),
                norm.register(registry),
                alerts);
    }

    private Counter counter(MeterRegistry registry, String name, String description) {
        return Counter.builder(name).description(description).tags(tags).register(registry);
    }
}
