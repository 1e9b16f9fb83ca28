package io.gradguard.clip;

import ai.djl.ndarray.NDArray;
import io.gradguard.internal.RollingPercentile;
import io.gradguard.internal.SingleOwner;
import io.gradguard.internal.StateMaps;
import io.gradguard.internal.StrategyNames;
import io.gradguard.internal.WindowSizes;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@link ClipStrategy#calibrate(int, float, boolean)}: observe the true total L2 norm for a number
 * of steps without clipping, recommend its percentile, then optionally clip there.
 *
 * <p>Counting rule: only finite norms count toward {@code steps}; a non-finite step is observed and
 * ignored. The step that completes the observation is not clipped; clipping at the recommendation
 * (with {@code clip_grad_norm_} semantics) starts at the next step. Each step reads its norm back
 * to the host while observing, and while adopting (one synchronization per step).
 */
final class CalibratingClip implements ThresholdCalibration, SingleOwner, StrategyNames.Named {

    private final Ownership ownership = new Ownership();

    @Override
    public Ownership ownership() {
        return ownership;
    }

    private static final Set<String> KEYS =
            Set.of("strategy", "steps", "percentile", "adopt", "observed");
    private static final Logger logger = LoggerFactory.getLogger(CalibratingClip.class);

    private final float percentile;
    private final boolean adopt;
    private final double[] observed;
    private int count;
    private Float recommendation;
    private NormDistribution distribution;

    CalibratingClip(int steps, float percentile, boolean adopt) {
        WindowSizes.check("steps", steps);
        if (!(percentile > 0f && percentile <= 100f)) {
            throw new IllegalArgumentException("percentile must be in (0, 100], got " + percentile);
        }
        this.percentile = percentile;
        this.adopt = adopt;
        this.observed = new double[steps];
    }

    @Override
    public ClipOutcome apply(ClipContext context) {
        NDArray total = HostClip.trueNorm(context);
        if (recommendation == null) {
            float norm = total.getFloat();
            if (Float.isFinite(norm)) {
                observed[count++] = norm;
                if (count == observed.length) {
                    finish();
                }
            }
            return HostClip.observe(context, total);
        }
        if (adopt && recommendation > 0f) {
            return HostClip.clipAt(context, total, total.getFloat(), recommendation);
        }
        return HostClip.observe(context, total);
    }

    private void finish() {
        double[] sorted = observed.clone();
        Arrays.sort(sorted);
        int n = sorted.length;
        distribution =
                new NormDistribution(
                        n,
                        (float) sorted[0],
                        (float) RollingPercentile.interpolate(sorted, n, 50),
                        (float) RollingPercentile.interpolate(sorted, n, 90),
                        (float) RollingPercentile.interpolate(sorted, n, 98),
                        (float) RollingPercentile.interpolate(sorted, n, 99),
                        (float) sorted[n - 1]);
        recommendation = (float) RollingPercentile.interpolate(sorted, n, percentile);
        if (adopt && recommendation > 0f) {
            logger.info(
                    "Gradient norm calibration over {}; clipping at the p{} = {} from now on",
                    distribution,
                    percentile,
                    recommendation);
        } else if (adopt) {
            logger.warn(
                    "Gradient norm calibration over {}: the p{} is {}, which cannot be a"
                            + " threshold; gradients stay unclipped",
                    distribution,
                    percentile,
                    recommendation);
        } else {
            logger.info(
                    "Gradient norm calibration over {}; recommended threshold: p{} = {}, for"
                            + " example ClipStrategy.globalNorm({}f)",
                    distribution,
                    percentile,
                    recommendation,
                    recommendation);
        }
    }

    @Override
    public float threshold() {
        return adopt && recommendation != null && recommendation > 0f
                ? recommendation
                : Float.POSITIVE_INFINITY;
    }

    @Override
    public Optional<Float> recommendation() {
        return Optional.ofNullable(recommendation);
    }

    @Override
    public Optional<NormDistribution> distribution() {
        return Optional.ofNullable(distribution);
    }

    @Override
    public boolean adopts() {
        return adopt;
    }

    @Override
    public Map<String, Object> state() {
        Map<String, Object> state = new LinkedHashMap<>();
        state.put("strategy", StrategyNames.CALIBRATE);
        state.put("steps", observed.length);
        state.put("percentile", percentile);
        state.put("adopt", adopt);
        state.put("observed", Arrays.copyOf(observed, count));
        return Collections.unmodifiableMap(state);
    }

    /**
     * {@inheritDoc}
     *
     * <p>Every key is checked: the configuration ({@code steps}, {@code percentile}, {@code adopt})
     * must equal this instance's, and {@code observed} holds at most {@code steps} finite norms
     * {@code >= 0}. A full observation recomputes the recommendation.
     */
    @Override
    public void restore(Map<String, Object> state) {
        StateMaps.checkShape(state, StrategyNames.CALIBRATE, KEYS);
        StateMaps.sameConfig(state, "steps", observed.length);
        StateMaps.sameConfig(state, "percentile", percentile);
        StateMaps.sameConfig(state, "adopt", adopt);
        double[] values = StateMaps.norms(state, "observed", observed.length, "steps");
        Arrays.fill(observed, 0);
        System.arraycopy(values, 0, observed, 0, values.length);
        count = values.length;
        recommendation = null;
        distribution = null;
        if (count == observed.length) {
            finish();
        }
    }

    @Override
    public String checkpointName() {
        return StrategyNames.CALIBRATE;
    }

    @Override
    public String toString() {
        return "calibrate(steps="
                + observed.length
                + ", percentile="
                + percentile
                + ", adopt="
                + adopt
                + ")";
    }
}
