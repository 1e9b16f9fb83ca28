package io.gradguard.examples.bench;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import io.gradguard.spi.GradientOps;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Times the four clipping variants on one gradient set and one engine, and writes their rows: the
 * timings, then {@code fused / floor}, {@code naive / fused} and {@code generic / fused}.
 */
final class ClipComparison {

    static final String NAIVE = "naive";
    static final String GENERIC = "generic";
    static final String FUSED = "fused";
    static final String FLOOR = "floor";
    static final String FUSED_OVER_FLOOR = "fused / floor";
    static final String NAIVE_OVER_FUSED = "naive / fused";
    static final String GENERIC_OVER_FUSED = "generic / fused";
    static final String ONE_CALL = "fused clipByGlobalNorm, one call";
    static final String THREE_CALLS = "fused clipByGlobalNorm, 3 calls";
    static final String THREE_OVER_ONE = "3 calls / one call";

    private final String engineName;
    private final GradientSet set;
    private final int warmup;
    private final int trials;

    /**
     * Prepares a comparison.
     *
     * @param engineName the engine
     * @param set the gradient shapes
     * @param warmup untimed trials per variant
     * @param trials timed trials per variant
     */
    ClipComparison(String engineName, GradientSet set, int warmup, int trials) {
        this.engineName = engineName;
        this.set = set;
        this.warmup = warmup;
        this.trials = trials;
    }

    /**
     * Returns the row label of a variant or ratio of a set.
     *
     * @param set the set
     * @param what one of the constants of this class
     * @return the label
     */
    static String row(GradientSet set, String what) {
        return set.label() + ": " + what;
    }

    /**
     * Runs the variants and fills the engine's column of the table.
     *
     * @param table the table
     */
    void run(ResultTable table) {
        GradientOps fusedOps = GradientOps.forEngine(Engine.getEngine(engineName));
        try (ClipTimer timer = new ClipTimer(engineName, set, 7)) {
            float maxNorm = timer.maxNorm();
            List<NDArray> constants = timer.floorConstants();
            List<ClipTimer.Variant> variants = new ArrayList<>();
            variants.add(new ClipTimer.Variant(NAIVE, ClipVariants.naive(maxNorm), false));
            variants.add(
                    new ClipTimer.Variant(
                            GENERIC, ClipVariants.strategy(GradientOps.generic(), maxNorm), false));
            variants.add(
                    new ClipTimer.Variant(FUSED, ClipVariants.strategy(fusedOps, maxNorm), false));
            variants.add(
                    new ClipTimer.Variant(
                            ONE_CALL, ClipVariants.oneCall(fusedOps, maxNorm), false));
            boolean fusesOneCall = ClipVariants.overridesOneCall(fusedOps);
            if (fusesOneCall) {
                variants.add(
                        new ClipTimer.Variant(
                                THREE_CALLS,
                                ClipVariants.oneCall(new ThreeCallOps(fusedOps), maxNorm),
                                false));
            }
            variants.add(new ClipTimer.Variant(FLOOR, ClipVariants.floor(constants), true));
            Map<String, Timing> t = timer.timeInterleaved(variants, warmup, trials);
            Timing naive = t.get(NAIVE);
            Timing generic = t.get(GENERIC);
            Timing fused = t.get(FUSED);
            Timing oneCall = t.get(ONE_CALL);
            Timing threeCalls = t.get(THREE_CALLS);
            Timing floor = t.get(FLOOR);
            String column = engineName;
            table.put("fused implementation", column, fusedOps.name());
            table.put(row(set, NAIVE), column, naive.format());
            table.put(row(set, GENERIC), column, generic.format());
            table.put(row(set, FUSED), column, fused.format());
            table.put(row(set, ONE_CALL), column, oneCall.format());
            if (threeCalls != null) {
                table.put(row(set, THREE_CALLS), column, threeCalls.format());
            }
            table.put(row(set, FLOOR), column, floor.format());
            table.put(row(set, FUSED_OVER_FLOOR), column, ratio(fused, floor));
            table.put(row(set, NAIVE_OVER_FUSED), column, ratio(naive, fused));
            table.put(row(set, GENERIC_OVER_FUSED), column, ratio(generic, fused));
            if (threeCalls != null) {
                table.put(row(set, THREE_OVER_ONE), column, ratio(threeCalls, oneCall));
            }
        }
    }

    /**
     * Returns the ratio of two medians with two decimals.
     *
     * @param numerator the slower one, usually
     * @param denominator the reference
     * @return the ratio, such as {@code "1.12"}
     */
    static String ratio(Timing numerator, Timing denominator) {
        return String.format(Locale.ROOT, "%.2f", numerator.median() / denominator.median());
    }
}
