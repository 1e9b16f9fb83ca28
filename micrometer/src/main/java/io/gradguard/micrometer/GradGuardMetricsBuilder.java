package io.gradguard.micrometer;

import io.gradguard.internal.WindowSizes;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.Tags;
import java.time.Duration;
import java.util.Arrays;
import java.util.Objects;

/**
 * Builds a {@link GradGuardMetrics}. The name is required; every setter checks its own argument and
 * throws {@link IllegalArgumentException} naming it ({@link NullPointerException} for null).
 */
public final class GradGuardMetricsBuilder {

    /** The largest clip-rate window, as for the monitors' windows: one million steps. */
    static final int MAX_WINDOW = WindowSizes.MAX;

    private String name;
    private Tags tags = Tags.empty();
    private double[] percentiles = {0.5, 0.95, 0.99};
    private double[] buckets = {};
    private int clipRateWindow = 100;
    private Duration statisticsWindow;

    GradGuardMetricsBuilder() {}

    /**
     * Sets the guard's name, the value of the {@value GradGuardMetrics#GUARD_TAG} tag on every
     * meter. Required.
     *
     * @param name a non-blank name, for example {@code "churn-lstm"}
     * @return this builder
     * @throws NullPointerException if {@code name} is null
     * @throws IllegalArgumentException if {@code name} is empty or only white space
     */
    public GradGuardMetricsBuilder setName(String name) {
        Objects.requireNonNull(name, "name");
        if (name.isBlank()) {
            throw new IllegalArgumentException("name must not be blank, got \"" + name + "\"");
        }
        this.name = name;
        return this;
    }

    /**
     * Adds tags to every meter, for example the engine or the model; none by default.
     *
     * @param tags the tags; their keys must differ from {@value GradGuardMetrics#GUARD_TAG} and
     *     {@value GradGuardMetrics#KIND_TAG}, which this module sets
     * @return this builder
     * @throws NullPointerException if {@code tags} is null
     * @throws IllegalArgumentException if a key is {@value GradGuardMetrics#GUARD_TAG} or {@value
     *     GradGuardMetrics#KIND_TAG}
     */
    public GradGuardMetricsBuilder optTags(Iterable<Tag> tags) {
        Tags checked = Tags.of(Objects.requireNonNull(tags, "tags"));
        for (Tag tag : checked) {
            String key = tag.getKey();
            if (key.equals(GradGuardMetrics.GUARD_TAG) || key.equals(GradGuardMetrics.KIND_TAG)) {
                throw new IllegalArgumentException(
                        "tags must not use the key \""
                                + key
                                + "\", which GradGuard sets, got "
                                + checked);
            }
        }
        this.tags = checked;
        return this;
    }

    /**
     * Sets the percentiles of {@value GradGuardMetrics#NORM} computed on the client; the median,
     * p95 and p99 by default (the practice calibrates the clip threshold at p95-p99). None when
     * empty.
     *
     * @param percentiles values in [0, 1], for example {@code 0.99}
     * @return this builder
     * @throws NullPointerException if {@code percentiles} is null
     * @throws IllegalArgumentException if a value is outside [0, 1]
     */
    public GradGuardMetricsBuilder optPercentiles(double... percentiles) {
        double[] copy = Objects.requireNonNull(percentiles, "percentiles").clone();
        for (double p : copy) {
            if (!(p >= 0 && p <= 1)) {
                throw new IllegalArgumentException(
                        "percentiles must be in [0, 1], got " + Arrays.toString(copy));
            }
        }
        this.percentiles = copy;
        return this;
    }

    /**
     * Sets histogram bucket boundaries for {@value GradGuardMetrics#NORM} (Micrometer's service
     * level objectives), for example the clip threshold and a few multiples of it; none by default.
     * Each bucket counts the norms at or below its boundary, since the binding. With buckets,
     * Prometheus shows the norm as a histogram, for {@code histogram_quantile} across runs.
     *
     * @param boundaries finite values above 0
     * @return this builder
     * @throws NullPointerException if {@code boundaries} is null
     * @throws IllegalArgumentException if a value is not finite or not above 0
     */
    public GradGuardMetricsBuilder optBuckets(double... boundaries) {
        double[] copy = Objects.requireNonNull(boundaries, "boundaries").clone();
        for (double b : copy) {
            if (!(b > 0) || Double.isInfinite(b)) {
                throw new IllegalArgumentException(
                        "boundaries must be finite and > 0, got " + Arrays.toString(copy));
            }
        }
        this.buckets = copy;
        return this;
    }

    /**
     * Sets the time over which the percentiles and the maximum of {@value GradGuardMetrics#NORM}
     * are computed (Micrometer's distribution statistic expiry; its default, two minutes, when not
     * set). Values recorded longer ago drop out. A run whose final scrape should summarize all of
     * its steps sets a window longer than the run.
     *
     * @param window a positive duration
     * @return this builder
     * @throws NullPointerException if {@code window} is null
     * @throws IllegalArgumentException if {@code window} is zero or negative
     */
    public GradGuardMetricsBuilder optStatisticsWindow(Duration window) {
        Objects.requireNonNull(window, "window");
        if (window.isZero() || window.isNegative()) {
            throw new IllegalArgumentException("window must be positive, got " + window);
        }
        this.statisticsWindow = window;
        return this;
    }

    /**
     * Sets the number of optimizer steps over which {@value GradGuardMetrics#CLIP_RATE} is
     * computed; 100 by default, as {@link io.gradguard.observe.ClipRateMonitor}'s window.
     *
     * @param window in [1, 1000000]
     * @return this builder
     * @throws IllegalArgumentException if {@code window} is outside [1, 1000000]
     */
    public GradGuardMetricsBuilder optClipRateWindow(int window) {
        this.clipRateWindow = WindowSizes.check("window", window);
        return this;
    }

    /**
     * Builds the binder.
     *
     * @return the binder, bound to no registry yet
     * @throws IllegalStateException if no name was set
     */
    public GradGuardMetrics build() {
        if (name == null) {
            throw new IllegalStateException("setName is required: the guard tag of every meter");
        }
        return new GradGuardMetrics(this);
    }

    String name() {
        return name;
    }

    Tags tags() {
        return tags;
    }

    double[] percentiles() {
        return percentiles.clone();
    }

    double[] buckets() {
        return buckets.clone();
    }

    Duration statisticsWindow() {
        return statisticsWindow;
    }

    int clipRateWindow() {
        return clipRateWindow;
    }
}
