package io.gradguard;

import ai.djl.ndarray.NDArray;
import io.gradguard.internal.RollingPercentile;
import io.gradguard.internal.WindowSizes;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * {@link ClipStrategy#autoClip(float, int)}: AutoClip (Seetharaman, Wichern, Pardo, Le Roux, 2020,
 * "AutoClip: Adaptive Gradient Clipping for Source Separation Networks").
 *
 * <p>Each step: read the true total L2 norm {@code g_t} (one host synchronization), append it to
 * the history when finite, set {@code threshold_t = percentile_p(history)} (the history includes
 * {@code g_t}; linear interpolation), then clip as {@code clip_grad_norm_(threshold_t)}.
 */
final class AutoClip implements StatefulClipStrategy {

    static final String NAME = "autoClip";

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
        float threshold =
                history.size() == 0
                        ? Float.POSITIVE_INFINITY
                        : (float) history.percentile(percentile);
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
        state.put("strategy", NAME);
        state.put("percentile", percentile);
        state.put("historySize", history.capacity());
        state.put("history", history.toArray());
        state.put("threshold", lastThreshold);
        return java.util.Collections.unmodifiableMap(state);
    }

    @Override
    public void restore(Map<String, Object> state) {
        StateMaps.checkStrategy(state, NAME);
        StateMaps.sameConfig(state, "percentile", percentile);
        double[] values = StateMaps.doubles(state, "history");
        float threshold = StateMaps.number(state, "threshold").floatValue();
        for (double v : values) {
            if (!Double.isFinite(v)) {
                throw new IllegalArgumentException(
                        "state key history must hold finite norms, got " + v);
            }
        }
        history.clear();
        for (int i = Math.max(0, values.length - history.capacity()); i < values.length; i++) {
            history.add(values[i]);
        }
        lastThreshold = threshold;
    }

    @Override
    public String toString() {
        return "autoClip(percentile=" + percentile + ", historySize=" + history.capacity() + ")";
    }
}
