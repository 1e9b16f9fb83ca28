package io.gradguard.observe;

import io.gradguard.StepDetails;
import io.gradguard.StepObserver;
import io.gradguard.StepReport;
import io.gradguard.event.AlertEvent;
import io.gradguard.event.GuardEventPublisher;
import io.gradguard.internal.WindowSizes;
import java.util.Locale;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Warns when clipping becomes frequent: a practitioner reads frequent clipping as a symptom, not as
 * a cure.
 *
 * <p>Over a rolling window of the last {@code window} optimizer steps (default 100), the clip rate
 * is {@code clipped steps / window}; a skipped step counts as not clipped, as in {@link
 * io.gradguard.ClipStatistics}. No rate is judged before the window is full. When the rate first
 * exceeds {@code threshold} (default 0.10), an episode starts: one WARN naming the rate, the window
 * and the likely causes, and one {@link AlertEvent} of kind {@link AlertEvent.Kind#CLIP_RATE} (when
 * a publisher was given). Nothing more is said while the rate stays above the threshold; the
 * episode ends (one INFO) at the first step where the rate is back to or below it, and the next
 * crossing starts a new episode.
 *
 * <p>Memory: one byte per window slot, allocated once (at most {@value WindowSizes#MAX}). Not
 * thread-safe; fed by one listener.
 */
public final class ClipRateMonitor implements StepObserver {

    /** The likely causes of frequent clipping, in the words of the alert. */
    static final String CAUSES =
            "Frequent clipping is a symptom. Likely causes: a learning rate too high or a warmup"
                    + " too short (lower the peak LR, lengthen warmup); bad examples in specific"
                    + " batches (see SpikeForensics); numerics (fp16 range, reductions, large"
                    + " logits); poor conditioning (initialization, normalization, residual"
                    + " scaling); or a threshold set below the usual norm (calibrate it at the"
                    + " p95-p99 of unclipped norms).";

    private static final Logger logger = LoggerFactory.getLogger(ClipRateMonitor.class);

    private final double threshold;
    private final GuardEventPublisher publisher;
    private final byte[] ring;
    private int next;
    private int clippedInWindow;
    private long seen;
    private boolean inEpisode;
    private long episodes;

    private ClipRateMonitor(Builder builder) {
        this.threshold = builder.threshold;
        this.publisher = builder.publisher;
        this.ring = new byte[builder.window];
    }

    /**
     * Returns a monitor with the defaults: a window of 100 steps and a threshold of 10%.
     *
     * @return the monitor
     */
    public static ClipRateMonitor ofDefaults() {
        return builder().build();
    }

    /**
     * Returns a builder with the defaults.
     *
     * @return a new builder
     */
    public static Builder builder() {
        return new Builder();
    }

    @Override
    public void onStep(StepReport report, StepDetails details) {
        byte clipped = (byte) (report.clipped() && !report.skipped() ? 1 : 0);
        if (seen >= ring.length) {
            clippedInWindow -= ring[next];
        }
        ring[next] = clipped;
        clippedInWindow += clipped;
        next = (next + 1) % ring.length;
        seen++;
        if (seen < ring.length) {
            return;
        }
        double rate = rate();
        if (rate > threshold && !inEpisode) {
            inEpisode = true;
            episodes++;
            String message =
                    String.format(
                            Locale.ROOT,
                            "%d of the last %d optimizer steps were clipped (%.1f%%), above the"
                                    + " %.1f%% alert threshold. %s",
                            clippedInWindow,
                            ring.length,
                            rate * 100,
                            threshold * 100,
                            CAUSES);
            logger.warn("Clip-rate alert at step {}: {}", report.step(), message);
            if (publisher != null) {
                publisher.publish(
                        new AlertEvent(
                                report.step(),
                                AlertEvent.Kind.CLIP_RATE,
                                rate,
                                threshold,
                                message));
            }
        } else if (rate <= threshold && inEpisode) {
            inEpisode = false;
            logger.info(
                    "Clip rate back to {}% of the last {} steps at step {}",
                    String.format(Locale.ROOT, "%.1f", rate * 100), ring.length, report.step());
        }
    }

    /**
     * Returns the clip rate over the last {@code min(steps seen, window)} steps.
     *
     * @return the rate in [0, 1]; 0 before any step
     */
    public double rate() {
        long counted = Math.min(seen, ring.length);
        return counted == 0 ? 0.0 : (double) clippedInWindow / counted;
    }

    /**
     * Returns whether an alert episode is in progress.
     *
     * @return true between an alert and the rate's return to the threshold
     */
    public boolean inEpisode() {
        return inEpisode;
    }

    /**
     * Returns how many alert episodes have started.
     *
     * @return the number of alerts raised
     */
    public long episodes() {
        return episodes;
    }

    /** Builds a {@link ClipRateMonitor}; every setter checks its argument. */
    public static final class Builder {

        private int window = 100;
        private double threshold = 0.10;
        private GuardEventPublisher publisher;

        private Builder() {}

        /**
         * Sets the number of optimizer steps in the rolling window; 100 by default.
         *
         * @param window in [1, {@value WindowSizes#MAX}]
         * @return this builder
         * @throws IllegalArgumentException if {@code window} is outside [1, {@value
         *     WindowSizes#MAX}]
         */
        public Builder optWindow(int window) {
            this.window = WindowSizes.check("window", window);
            return this;
        }

        /**
         * Sets the clip rate above which an alert is raised; 0.10 by default.
         *
         * @param threshold in [0, 1)
         * @return this builder
         * @throws IllegalArgumentException if {@code threshold} is outside [0, 1)
         */
        public Builder optThreshold(double threshold) {
            if (!(threshold >= 0 && threshold < 1)) {
                throw new IllegalArgumentException("threshold must be in [0, 1), got " + threshold);
            }
            this.threshold = threshold;
            return this;
        }

        /**
         * Sets the publisher that receives an {@link AlertEvent} per episode; none by default.
         *
         * @param publisher the publisher
         * @return this builder
         */
        public Builder optPublisher(GuardEventPublisher publisher) {
            this.publisher = java.util.Objects.requireNonNull(publisher, "publisher");
            return this;
        }

        /**
         * Builds the monitor.
         *
         * @return the monitor
         */
        public ClipRateMonitor build() {
            return new ClipRateMonitor(this);
        }
    }
}
