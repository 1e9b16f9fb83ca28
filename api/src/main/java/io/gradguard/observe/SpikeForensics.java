package io.gradguard.observe;

import io.gradguard.StepDetails;
import io.gradguard.StepObserver;
import io.gradguard.StepReport;
import io.gradguard.event.AlertEvent;
import io.gradguard.event.GuardEventPublisher;
import io.gradguard.internal.RollingPercentile;
import io.gradguard.internal.WindowSizes;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Finds gradient spikes and captures what is needed to explain them: which parameters and which
 * examples.
 *
 * <p>Spike rule: a step is a spike when its norm is non-finite, or when at least {@code warmup}
 * finite norms have been seen (default 20) and the norm exceeds {@code factor} (default 10) times
 * the {@code percentile} (default 99, linear interpolation) of the last {@code window} (default
 * 200) finite, non-spike norms. Spike norms are kept out of that window, so that one spike does not
 * hide the next.
 *
 * <p>On a spike: the top {@code topK} (default 5) parameters by gradient norm ({@link
 * StepDetails#parameterNorms()}, one device pass, only on spikes) and the batch's identity (epoch,
 * batch index, {@link StepDetails#datasetIndices()}) are captured, logged at WARN and published as
 * an {@link AlertEvent} of kind {@link AlertEvent.Kind#SPIKE}. When a spike's dataset indices
 * include one that was already in a spike of an earlier epoch, the spike is data-caused: a WARN
 * names the indices and an alert of kind {@link AlertEvent.Kind#RECURRING_SPIKE} is published.
 *
 * <p>{@link #summary()} classifies the run's spikes (see {@link SpikeSummary} for the rules); it is
 * logged when training ends. At most {@code maxSpikes} (default 1000) spikes are kept in full; all
 * are counted. Not thread-safe; fed by one listener.
 */
public final class SpikeForensics implements StepObserver {

    private static final Logger logger = LoggerFactory.getLogger(SpikeForensics.class);

    private final int warmup;
    private final double factor;
    private final double percentile;
    private final int topK;
    private final int maxSpikes;
    private final GuardEventPublisher publisher;
    private final RollingPercentile window;
    private final List<Spike> spikes = new ArrayList<>();
    private final Map<Object, Set<Integer>> epochsByIndex = new HashMap<>();
    private final Set<Object> recurring = new LinkedHashSet<>();
    private long[] spikeSteps = new long[16];
    private int spikeCount;
    private long nonFiniteSpikes;
    private long finiteSeen;
    private long steps;

    private SpikeForensics(Builder builder) {
        this.warmup = builder.warmup;
        this.factor = builder.factor;
        this.percentile = builder.percentile;
        this.topK = builder.topK;
        this.maxSpikes = builder.maxSpikes;
        this.publisher = builder.publisher;
        this.window = new RollingPercentile(builder.window);
    }

    /**
     * Returns forensics with the defaults (see the class comment).
     *
     * @return the observer
     */
    public static SpikeForensics ofDefaults() {
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
        steps = Math.max(steps, report.step() + 1);
        float norm = report.totalNorm();
        boolean nonFinite = report.nonFinite() || !Float.isFinite(norm);
        if (nonFinite) {
            record(report, details, Float.NaN, true);
            return;
        }
        finiteSeen++;
        if (finiteSeen > warmup && window.size() > 0) {
            double limit = window.percentile(percentile) * factor;
            if (norm > limit) {
                record(report, details, (float) limit, false);
                return;
            }
        }
        window.add(norm);
    }

    @Override
    public void onTrainingEnd() {
        SpikeSummary summary = summary();
        if (summary.spikeCount() == 0) {
            logger.info("No gradient spikes in {} steps", summary.steps());
        } else {
            logger.warn("Gradient spike summary: {}", summary.report());
        }
    }

    /**
     * Returns the spikes found so far and their classification.
     *
     * @return the summary
     */
    public SpikeSummary summary() {
        return SpikeSummary.classify(
                steps, spikeSteps, spikeCount, nonFiniteSpikes, spikes, new ArrayList<>(recurring));
    }

    private void record(StepReport report, StepDetails details, float limit, boolean nonFinite) {
        if (spikeCount == spikeSteps.length) {
            spikeSteps = Arrays.copyOf(spikeSteps, spikeCount * 2);
        }
        spikeSteps[spikeCount++] = report.step();
        if (nonFinite) {
            nonFiniteSpikes++;
        }
        if (spikes.size() >= maxSpikes) {
            return;
        }
        Spike spike =
                new Spike(
                        report.step(),
                        report.epoch(),
                        report.batchIndex(),
                        report.totalNorm(),
                        limit,
                        nonFinite,
                        topParameters(details),
                        indices(details));
        spikes.add(spike);
        logger.warn("Gradient spike at {}", spike);
        publish(report.step(), AlertEvent.Kind.SPIKE, spike.norm(), limit, spike.toString());
        List<Object> again = new ArrayList<>();
        for (Object index : spike.datasetIndices()) {
            Set<Integer> epochs = epochsByIndex.computeIfAbsent(index, k -> new TreeSet<>());
            if (!epochs.isEmpty() && !epochs.contains(spike.epoch())) {
                again.add(index);
                recurring.add(index);
            }
            epochs.add(spike.epoch());
        }
        if (!again.isEmpty()) {
            String message =
                    "the spike at step "
                            + spike.step()
                            + " (epoch "
                            + spike.epoch()
                            + ") holds dataset indices "
                            + again
                            + " that also spiked in an earlier epoch: likely bad data; "
                            + SpikeCause.DATA.fix();
            logger.warn("Recurring gradient spike: {}", message);
            publish(report.step(), AlertEvent.Kind.RECURRING_SPIKE, spike.norm(), limit, message);
        }
    }

    private void publish(long step, AlertEvent.Kind kind, float value, float limit, String text) {
        if (publisher != null) {
            publisher.publish(new AlertEvent(step, kind, value, limit, text));
        }
    }

    private List<ParameterNorm> topParameters(StepDetails details) {
        if (details == null || topK == 0) {
            return List.of();
        }
        try {
            List<String> names = details.parameterNames();
            float[] norms = details.parameterNorms();
            Integer[] order = new Integer[Math.min(names.size(), norms.length)];
            for (int i = 0; i < order.length; i++) {
                order[i] = i;
            }
            // Non-finite first (that is where the fault is), then by descending norm.
            Arrays.sort(order, (x, y) -> Float.compare(rank(norms[y]), rank(norms[x])));
            List<ParameterNorm> top = new ArrayList<>(Math.min(topK, order.length));
            for (int i = 0; i < order.length && i < topK; i++) {
                top.add(new ParameterNorm(names.get(order[i]), norms[order[i]]));
            }
            return top;
        } catch (RuntimeException e) {
            logger.warn("Could not read per-parameter norms for a spike; left out", e);
            return List.of();
        }
    }

    private static float rank(float norm) {
        return Float.isFinite(norm) ? norm : Float.POSITIVE_INFINITY;
    }

    private static List<Object> indices(StepDetails details) {
        if (details == null) {
            return List.of();
        }
        try {
            List<?> indices = details.datasetIndices();
            return indices == null ? List.of() : new ArrayList<>(indices);
        } catch (RuntimeException e) {
            logger.warn("Could not read the batch's dataset indices for a spike; left out", e);
            return List.of();
        }
    }

    /** Builds {@link SpikeForensics}; every setter checks its argument. */
    public static final class Builder {

        private int warmup = 20;
        private double factor = 10;
        private double percentile = 99;
        private int window = 200;
        private int topK = 5;
        private int maxSpikes = 1000;
        private GuardEventPublisher publisher;

        private Builder() {}

        /**
         * Sets how many finite norms are seen before any distribution-based verdict; 20 by default.
         *
         * @param warmup {@code >= 1}
         * @return this builder
         * @throws IllegalArgumentException if {@code warmup < 1}
         */
        public Builder optWarmup(int warmup) {
            if (warmup < 1) {
                throw new IllegalArgumentException("warmup must be >= 1, got " + warmup);
            }
            this.warmup = warmup;
            return this;
        }

        /**
         * Sets the multiple of the percentile above which a norm is a spike; 10 by default.
         *
         * @param factor finite and {@code >= 1}
         * @return this builder
         * @throws IllegalArgumentException if {@code factor} is not finite or below 1
         */
        public Builder optFactor(double factor) {
            if (!(factor >= 1) || Double.isInfinite(factor)) {
                throw new IllegalArgumentException("factor must be finite and >= 1, got " + factor);
            }
            this.factor = factor;
            return this;
        }

        /**
         * Sets the percentile of recent norms that the factor multiplies; 99 by default.
         *
         * @param percentile in (0, 100]
         * @return this builder
         * @throws IllegalArgumentException if {@code percentile} is outside (0, 100]
         */
        public Builder optPercentile(double percentile) {
            if (!(percentile > 0 && percentile <= 100)) {
                throw new IllegalArgumentException(
                        "percentile must be in (0, 100], got " + percentile);
            }
            this.percentile = percentile;
            return this;
        }

        /**
         * Sets how many recent finite norms form the distribution; 200 by default.
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
         * Sets how many parameters are captured per spike; 5 by default.
         *
         * @param topK {@code >= 0}; 0 skips the per-parameter norms (no device pass)
         * @return this builder
         * @throws IllegalArgumentException if {@code topK < 0}
         */
        public Builder optTopK(int topK) {
            if (topK < 0) {
                throw new IllegalArgumentException("topK must be >= 0, got " + topK);
            }
            this.topK = topK;
            return this;
        }

        /**
         * Sets how many spikes are kept in full; 1000 by default. Later spikes are counted only.
         *
         * @param maxSpikes {@code >= 1}
         * @return this builder
         * @throws IllegalArgumentException if {@code maxSpikes < 1}
         */
        public Builder optMaxSpikes(int maxSpikes) {
            if (maxSpikes < 1) {
                throw new IllegalArgumentException("maxSpikes must be >= 1, got " + maxSpikes);
            }
            this.maxSpikes = maxSpikes;
            return this;
        }

        /**
         * Sets the publisher that receives spike alerts; none by default.
         *
         * @param publisher the publisher
         * @return this builder
         */
        public Builder optPublisher(GuardEventPublisher publisher) {
            this.publisher = Objects.requireNonNull(publisher, "publisher");
            return this;
        }

        /**
         * Builds the forensics observer.
         *
         * @return the observer
         */
        public SpikeForensics build() {
            return new SpikeForensics(this);
        }
    }
}
