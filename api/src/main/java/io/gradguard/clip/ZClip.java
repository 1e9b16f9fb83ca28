package io.gradguard.clip;

import ai.djl.ndarray.NDArray;
import io.gradguard.internal.SingleOwner;
import io.gradguard.internal.StateMaps;
import io.gradguard.internal.StrategyNames;
import io.gradguard.internal.WindowSizes;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * {@link ClipStrategy#zClip(float, float, float, int)}: ZClip (Kumar, Owen, Roy Chowdhury, Güra,
 * 2025, "ZClip: Adaptive Spike Mitigation for LLM Pre-Training"), z-score mode with reciprocal
 * ("adaptive scaling") clipping, following the authors' reference implementation.
 *
 * <p>Each step reads the true total L2 norm {@code g} (one host synchronization), then:
 *
 * <ol>
 *   <li>Warm-up (the first {@code warmupSteps} finite norms): keep {@code g}, clip at {@code
 *       maxNorm}. After the last warm-up norm: {@code mu = mean(norms)}, {@code var} = their
 *       population variance.
 *   <li>After warm-up: {@code sigma = sqrt(var)}, {@code z = (g - mu) / (sigma + 1e-6)}. If {@code
 *       z > zThreshold} (a spike): {@code c = mu + zThreshold * sigma / (z / zThreshold)} (= {@code
 *       mu + zThreshold^2 sigma / z}) and the step is clipped at {@code min(c, maxNorm)}; otherwise
 *       at {@code maxNorm} (no clipping when {@code maxNorm} is infinite).
 *   <li>Then the EMA is updated with the clipped value {@code c} on a spike and with the raw {@code
 *       g} otherwise, mean first: {@code mu <- alpha mu + (1 - alpha) x}, then {@code var <- alpha
 *       var + (1 - alpha) (x - mu)^2} with the new {@code mu}.
 * </ol>
 *
 * Clipping uses {@code clip_grad_norm_}'s coefficient {@code min(1, t / (g + 1e-6))}. Non-finite
 * norms leave the state unchanged.
 */
final class ZClip implements StatefulClipStrategy, SingleOwner, StrategyNames.Named {

    private final Ownership ownership = new Ownership();

    @Override
    public Ownership ownership() {
        return ownership;
    }

    private static final double EPS = 1e-6;
    private static final Set<String> KEYS =
            Set.of(
                    "strategy",
                    "maxNorm",
                    "alpha",
                    "zThreshold",
                    "warmupSteps",
                    "initialized",
                    "warmupNorms",
                    "mean",
                    "variance",
                    "threshold");

    private final float maxNorm;
    private final double alpha;
    private final double zThreshold;
    private final double[] warmupNorms;
    private int warmupCount;
    private boolean initialized;
    private double mean;
    private double variance;
    private float lastThreshold;

    ZClip(float maxNorm, float alpha, float zThreshold, int warmupSteps) {
        if (!(maxNorm > 0f)) {
            throw new IllegalArgumentException(
                    "maxNorm must be > 0 (or +Infinity for none), got " + maxNorm);
        }
        if (!(alpha > 0f && alpha < 1f)) {
            throw new IllegalArgumentException("alpha must be in (0, 1), got " + alpha);
        }
        Thresholds.positiveFinite("zThreshold", zThreshold);
        this.maxNorm = maxNorm;
        this.alpha = alpha;
        this.zThreshold = zThreshold;
        this.warmupNorms = new double[WindowSizes.check("warmupSteps", warmupSteps)];
        this.lastThreshold = maxNorm;
    }

    @Override
    public ClipOutcome apply(ClipContext context) {
        NDArray total = HostClip.trueNorm(context);
        float norm = total.getFloat();
        float threshold = Float.isFinite(norm) ? update(norm) : maxNorm;
        lastThreshold = threshold;
        return HostClip.clipAt(context, total, norm, threshold);
    }

    /** Advances the statistics with a finite norm; returns the step's threshold. */
    private float update(float norm) {
        if (!initialized) {
            warmupNorms[warmupCount++] = norm;
            if (warmupCount == warmupNorms.length) {
                initialize();
            }
            return maxNorm;
        }
        double g = norm;
        double sigma = Math.sqrt(variance);
        double z = (g - mean) / (sigma + EPS);
        double threshold = maxNorm;
        double x = g;
        if (z > zThreshold) {
            double eta = z / zThreshold;
            double clipValue = mean + (zThreshold * sigma) / eta;
            threshold = Math.min(clipValue, maxNorm);
            x = clipValue;
        }
        mean = alpha * mean + (1 - alpha) * x;
        double deviation = x - mean;
        variance = alpha * variance + (1 - alpha) * deviation * deviation;
        return (float) threshold;
    }

    private void initialize() {
        double sum = 0;
        for (double v : warmupNorms) {
            sum += v;
        }
        mean = sum / warmupNorms.length;
        double squares = 0;
        for (double v : warmupNorms) {
            squares += (v - mean) * (v - mean);
        }
        variance = squares / warmupNorms.length;
        initialized = true;
    }

    @Override
    public float threshold() {
        return lastThreshold;
    }

    @Override
    public Map<String, Object> state() {
        Map<String, Object> state = new LinkedHashMap<>();
        state.put("strategy", StrategyNames.Z_CLIP);
        state.put("maxNorm", maxNorm);
        state.put("alpha", (float) alpha);
        state.put("zThreshold", (float) zThreshold);
        state.put("warmupSteps", warmupNorms.length);
        state.put("initialized", initialized);
        state.put("warmupNorms", java.util.Arrays.copyOf(warmupNorms, warmupCount));
        state.put("mean", mean);
        state.put("variance", variance);
        state.put("threshold", lastThreshold);
        return Collections.unmodifiableMap(state);
    }

    /**
     * {@inheritDoc}
     *
     * <p>Every key is checked: the configuration ({@code maxNorm}, {@code alpha}, {@code
     * zThreshold}, {@code warmupSteps}) must equal this instance's; {@code warmupNorms} holds
     * finite norms {@code >= 0}, fewer than {@code warmupSteps} during warm-up and exactly {@code
     * warmupSteps} once {@code initialized}; {@code mean} and {@code variance} are finite and
     * {@code >= 0} (both 0 during warm-up); {@code threshold} is in {@code [0, maxNorm]} ({@code
     * maxNorm} during warm-up).
     */
    @Override
    public void restore(Map<String, Object> state) {
        StateMaps.checkShape(state, StrategyNames.Z_CLIP, KEYS);
        StateMaps.sameConfig(state, "maxNorm", maxNorm);
        StateMaps.sameConfig(state, "alpha", (float) alpha);
        StateMaps.sameConfig(state, "zThreshold", (float) zThreshold);
        StateMaps.sameConfig(state, "warmupSteps", warmupNorms.length);
        boolean restoredInitialized = StateMaps.bool(state, "initialized");
        double[] norms = StateMaps.norms(state, "warmupNorms", warmupNorms.length, "warmupSteps");
        double restoredMean = StateMaps.nonNegative(state, "mean");
        double restoredVariance = StateMaps.nonNegative(state, "variance");
        float threshold = StateMaps.threshold(state, "threshold", maxNorm);
        if (restoredInitialized != (norms.length == warmupNorms.length)) {
            throw new IllegalArgumentException(
                    "strategy state key warmupNorms holds "
                            + norms.length
                            + " norms, inconsistent with warmupSteps "
                            + warmupNorms.length
                            + " and initialized "
                            + restoredInitialized);
        }
        if (!restoredInitialized
                && (restoredMean != 0 || restoredVariance != 0 || threshold != maxNorm)) {
            throw new IllegalArgumentException(
                    "during warm-up (initialized false) strategy state keys mean and variance"
                            + " must be 0 and threshold maxNorm "
                            + maxNorm
                            + ", got mean "
                            + restoredMean
                            + ", variance "
                            + restoredVariance
                            + ", threshold "
                            + threshold);
        }
        java.util.Arrays.fill(warmupNorms, 0);
        System.arraycopy(norms, 0, warmupNorms, 0, norms.length);
        warmupCount = norms.length;
        initialized = restoredInitialized;
        mean = restoredMean;
        variance = restoredVariance;
        lastThreshold = threshold;
    }

    @Override
    public String checkpointName() {
        return StrategyNames.Z_CLIP;
    }

    @Override
    public String toString() {
        return "zClip(maxNorm="
                + maxNorm
                + ", alpha="
                + (float) alpha
                + ", zThreshold="
                + (float) zThreshold
                + ", warmupSteps="
                + warmupNorms.length
                + ")";
    }
}
