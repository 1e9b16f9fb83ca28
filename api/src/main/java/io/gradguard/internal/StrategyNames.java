package io.gradguard.internal;

import java.util.Map;

/**
 * The stable names under which a checkpoint records its {@link io.gradguard.clip.ClipStrategy}: one
 * per factory of {@link io.gradguard.clip.ClipStrategy}, independent of the class that implements
 * it, so that renaming or moving an implementation leaves every saved file readable. A strategy
 * written outside GradGuard is recorded by its class name, the only stable identity it has; such a
 * strategy keeps its checkpoints readable for as long as its class keeps that name.
 *
 * <p>Version 1 of the state file recorded every strategy by its class name. {@link #canonical} maps
 * the class names GradGuard's strategies had then to their names here; that table is frozen and
 * must never follow a later rename.
 */
public final class StrategyNames {

    /** {@link io.gradguard.clip.ClipStrategy#globalNorm(float, float)}. */
    public static final String GLOBAL_NORM = "globalNorm";

    /** {@link io.gradguard.clip.ClipStrategy#value(float)}. */
    public static final String VALUE = "value";

    /** {@link io.gradguard.clip.ClipStrategy#perParameterNorm(float)}. */
    public static final String PER_PARAMETER_NORM = "perParameterNorm";

    /** {@link io.gradguard.clip.ClipStrategy#observeOnly()}. */
    public static final String OBSERVE_ONLY = "observeOnly";

    /** {@link io.gradguard.clip.ClipStrategy#agc(float)}. */
    public static final String AGC = "agc";

    /** {@link io.gradguard.clip.ClipStrategy#autoClip(float, int)}. */
    public static final String AUTO_CLIP = "autoClip";

    /** {@link io.gradguard.clip.ClipStrategy#zClip(float, float, float, int)}. */
    public static final String Z_CLIP = "zClip";

    /** {@link io.gradguard.clip.ClipStrategy#calibrate(int, float, boolean)}. */
    public static final String CALIBRATE = "calibrate";

    /** The class names version 1 wrote for GradGuard's strategies; frozen. */
    private static final Map<String, String> VERSION_1_CLASSES =
            Map.of(
                    "io.gradguard.GlobalNormClip", GLOBAL_NORM,
                    "io.gradguard.ValueClip", VALUE,
                    "io.gradguard.PerParameterNormClip", PER_PARAMETER_NORM,
                    "io.gradguard.ObserveOnlyClip", OBSERVE_ONLY,
                    "io.gradguard.AdaptiveGradientClip", AGC,
                    "io.gradguard.AutoClip", AUTO_CLIP,
                    "io.gradguard.ZClip", Z_CLIP,
                    "io.gradguard.CalibratingClip", CALIBRATE);

    private StrategyNames() {}

    /** A strategy of GradGuard's own, which names itself with one of the names above. */
    public interface Named {

        /**
         * Returns the strategy's checkpoint name.
         *
         * @return one of the constants of {@link StrategyNames}
         */
        String checkpointName();
    }

    /**
     * Returns the name a checkpoint records for a strategy.
     *
     * @param strategy the strategy
     * @return its checkpoint name for one of GradGuard's strategies, its class name for another
     */
    public static String of(Object strategy) {
        return strategy instanceof Named named
                ? named.checkpointName()
                : strategy.getClass().getName();
    }

    /**
     * Returns the checkpoint name that a recorded strategy identity stands for: the name of
     * GradGuard's strategy for a class name version 1 wrote for it, the identity itself otherwise.
     *
     * @param recorded a checkpoint name, or a class name as version 1 wrote it
     * @return the checkpoint name
     */
    public static String canonical(String recorded) {
        return VERSION_1_CLASSES.getOrDefault(recorded, recorded);
    }
}
