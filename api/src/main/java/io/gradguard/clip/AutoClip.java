package io.gradguard.clip;

import ai.djl.ndarray.NDArray;
import io.gradguard.internal.RollingPercentile;
import io.gradguard.internal.SingleOwner;
import io.gradguard.internal.StateMaps;
import io.gradguard.internal.StrategyNames;
import io.gradguard.internal.WindowSizes;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * {@link ClipStrategy#autoClip(float, int)}: AutoClip (Seetharaman, Wichern, Pardo, Le Roux, 2020,
 * "AutoClip: Adaptive Gradient Clipping for Source Separation Networks").
 *
 * <p>Each step: read the true total L2 norm {@code g_t} (one host synchronization), append it to
 * the history when finite, set {@code threshold_t = percentile_p(history)} (the history includes
 * {@code g_t}; linear interpolation), then clip as {@code clip_grad_norm_(threshold_t)}.
 */
final class AutoClip implements StatefulClipStrategy, SingleOwner, StrategyNames.Named {

    private final Ownership ownership = new Ownership();

    @Override
    public Ownership ownership() {
        return ownership;
    }

    private static final Set<String> KEYS =
            Set.of("strategy", "percentile", "historySize", "history", "threshold");

    private final float percentile;
    private final RollingPercentile history;
    private float lastThreshold = Float.POSITIVE_INFINITY;

    AutoClip(float percentile, int historySize) {
        if (!(percentile > 0f && percentile <= 100f)) {
            throw new IllegalArgumentException("percentile must be in (0, 100], got " + percentile);
        }
        this.percentile = percentile;
        this.history = new RollingPercentile(WindowSizes.check("historySize", historySize));
    }

    @Override
    public ClipOutcome apply(ClipContext context) {
        NDArray total = HostClip.trueNorm(context);
        float norm = total.getFloat();
        if (Float.isFinite(norm)) {
            history.add(norm);
        }
        float threshold = thresholdOf(history);
        lastThreshold = threshold;
        return HostClip.clipAt(context, total, norm, threshold);
    }

    @Override
    public float threshold() {
        return lastThreshold;
    }

    @Override
    public Map<String, Object> state() {
        Map<String, Object> state = new LinkedHashMap<>();
        state.put("strategy", StrategyNames.AUTO_CLIP);
        state.put("percentile", percentile);
        state.put("historySize", history.capacity());
        state.put("history", history.toArray());
        state.put("threshold", lastThreshold);
        return java.util.Collections.unmodifiableMap(state);
    }

    /**
     * {@inheritDoc}
     *
     * <p>Every key is checked: the configuration ({@code percentile}, {@code historySize}) must
     * equal this instance's; {@code history} holds at most {@code historySize} finite norms {@code
     * >= 0}; {@code threshold} is {@code +Infinity} for an empty history and otherwise exactly the
     * {@code percentile}-th percentile of the history, as {@link #apply} computes it.
     */
    @Override
    public void restore(Map<String, Object> state) {
        StateMaps.checkShape(state, StrategyNames.AUTO_CLIP, KEYS);
        StateMaps.sameConfig(state, "percentile", percentile);
        StateMaps.sameConfig(state, "historySize", history.capacity());
        double[] values = StateMaps.norms(state, "history", history.capacity(), "historySize");
        float threshold = StateMaps.threshold(state, "threshold", Float.POSITIVE_INFINITY);
        RollingPercentile restored = new RollingPercentile(history.capacity());
        for (double v : values) {
            restored.add(v);
        }
        float expected = thresholdOf(restored);
        if (Float.compare(threshold, expected) != 0) {
            throw new IllegalArgumentException(
                    "strategy state key threshold is "
                            + threshold
                            + " but the p"
                            + percentile
                            + " of the "
                            + values.length
                            + " norms in history is "
                            + expected);
        }
        history.clear();
        for (double v : values) {
            history.add(v);
        }
        lastThreshold = threshold;
    }

    private float thresholdOf(RollingPercentile norms) {
        return norms.size() == 0 ? Float.POSITIVE_INFINITY : (float) norms.percentile(percentile);
    }

    @Override
    public String checkpointName() {
        return StrategyNames.AUTO_CLIP;
    }

    @Override
    public String toString() {
        return "autoClip(percentile=" + percentile + ", historySize=" + history.capacity() + ")";
    }
}
