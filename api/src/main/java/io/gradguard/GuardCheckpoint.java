package io.gradguard;

import io.gradguard.clip.ClipStrategy;
import io.gradguard.clip.StatefulClipStrategy;
import io.gradguard.internal.StrategyNames;
import io.gradguard.internal.TrackedScale;
import io.gradguard.scale.LossScaler;
import io.gradguard.scale.LossScalerState;
import java.util.Collections;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * The training state of a {@link ClippingTrainingListener} between two optimizer steps: what must
 * survive a stop and resume for the resumed run to continue exactly as the uninterrupted one would
 * have. Immutable. Obtain one from {@link ClippingTrainingListener#checkpoint()}; give it back with
 * {@link ClippingTrainingListener#restore(GuardCheckpoint)}, or let {@link
 * ClippingTrainingListener#saveState} and {@link ClippingTrainingListener#loadState} write and read
 * it as a text file beside DJL's {@code model.save(dir, name)}.
 *
 * <p>A checkpoint is only ever taken at the boundary of an accumulation window, after {@code
 * Trainer.step()}: gradients accumulated so far in an open window live in the parameters' gradient
 * buffers, which neither DJL's {@code model.save} nor this file holds, so the listener refuses to
 * save there rather than write a state that cannot be resumed exactly.
 *
 * @param step optimizer steps taken (applied or skipped), {@code 0 <= step < Long.MAX_VALUE}
 * @param epoch epochs ended, {@code 0 <= epoch < Integer.MAX_VALUE}
 * @param batchInEpoch batches seen in the current epoch, {@code 0 <= batchInEpoch < Long.MAX_VALUE}
 * @param consecutiveSkips skipped optimizer steps in a row, {@code 0 <= consecutiveSkips <= step}
 *     and {@code < Integer.MAX_VALUE}
 * @param accumulationSteps the listener's micro-batches per optimizer step when saved, {@code >= 1}
 *     (informational: a resumed listener may use another value)
 * @param policy the listener's non-finite policy when saved (informational)
 * @param strategy the strategy's description ({@code toString}) when saved (informational)
 * @param strategyName the strategy's stable checkpoint name, independent of the class that
 *     implements it: {@code globalNorm}, {@code value}, {@code perParameterNorm}, {@code
 *     observeOnly}, {@code agc}, {@code autoClip}, {@code zClip} or {@code calibrate} for the
 *     strategies of {@link ClipStrategy}'s factories, the class name of any other strategy. A class
 *     name that version 1 of the state file recorded for one of GradGuard's strategies (such as
 *     {@code io.gradguard.AutoClip}) is replaced by that strategy's name. A {@link
 *     StatefulClipStrategy} only accepts the state recorded under its own name
 * @param strategyState the state of a {@link StatefulClipStrategy}; empty for other strategies
 * @param scalerKind {@value #SCALER_NONE}, {@value #SCALER_FIXED}, {@value #SCALER_DYNAMIC} for the
 *     scalers of {@link LossScaler}'s factories, or the class name of any other {@link LossScaler}
 * @param scalerState the loss scaler's state: scale, growth tracker, hysteresis counter
 * @param statistics the listener's statistics
 */
public record GuardCheckpoint(
        long step,
        int epoch,
        long batchInEpoch,
        int consecutiveSkips,
        int accumulationSteps,
        NonFinitePolicy policy,
        String strategy,
        String strategyName,
        Map<String, String> strategyState,
        String scalerKind,
        LossScalerState scalerState,
        ClipStatistics statistics) {

    /** {@link #scalerKind()} of {@link LossScaler#none()}. */
    public static final String SCALER_NONE = TrackedScale.KIND_NONE;

    /** {@link #scalerKind()} of {@link LossScaler#fixed(float)}. */
    public static final String SCALER_FIXED = TrackedScale.KIND_FIXED;

    /** {@link #scalerKind()} of {@link LossScaler#dynamic()} and its builder. */
    public static final String SCALER_DYNAMIC = TrackedScale.KIND_DYNAMIC;

    /**
     * Validates every field and copies the strategy state into an immutable, key-sorted map.
     * Counters must be {@code >= 0} and small enough that their next increment cannot overflow
     * ({@code statistics.microSteps} grows by up to {@code Integer.MAX_VALUE} per step); statistics
     * must fit in {@code step} and {@code statistics.maxNorm} must be finite and {@code >= 0}. The
     * strategy state is checked by the strategy it is restored into.
     *
     * @param step the record component {@code step}
     * @param epoch the record component {@code epoch}
     * @param batchInEpoch the record component {@code batchInEpoch}
     * @param consecutiveSkips the record component {@code consecutiveSkips}
     * @param accumulationSteps the record component {@code accumulationSteps}
     * @param policy the record component {@code policy}
     * @param strategy the record component {@code strategy}
     * @param strategyName the record component {@code strategyName}
     * @param strategyState the record component {@code strategyState}
     * @param scalerKind the record component {@code scalerKind}
     * @param scalerState the record component {@code scalerState}
     * @param statistics the record component {@code statistics}
     * @throws IllegalArgumentException naming the first field that is out of range, and its value
     * @throws NullPointerException if a reference field is null
     */
    public GuardCheckpoint {
        counter("step", step, Long.MAX_VALUE);
        counter("epoch", epoch, Integer.MAX_VALUE);
        counter("batchInEpoch", batchInEpoch, Long.MAX_VALUE);
        counter("consecutiveSkips", consecutiveSkips, Integer.MAX_VALUE);
        if (consecutiveSkips > step) {
            throw new IllegalArgumentException(
                    "consecutiveSkips must be <= step " + step + ", got " + consecutiveSkips);
        }
        if (accumulationSteps < 1) {
            throw new IllegalArgumentException(
                    "accumulationSteps must be >= 1, got " + accumulationSteps);
        }
        Objects.requireNonNull(policy, "policy");
        Objects.requireNonNull(strategy, "strategy");
        strategyName = StrategyNames.canonical(nonEmpty("strategyName", strategyName));
        nonEmpty("scalerKind", scalerKind);
        Objects.requireNonNull(scalerState, "scalerState");
        strategyState = copyState(strategyState);
        checkStatistics(Objects.requireNonNull(statistics, "statistics"), step);
    }

    /**
     * Returns the kind of a scaler as written in {@link #scalerKind()}.
     *
     * @param scaler the scaler
     * @return {@value #SCALER_NONE}, {@value #SCALER_FIXED} or {@value #SCALER_DYNAMIC} for a
     *     scaler of {@link LossScaler}'s factories, the class name of any other scaler
     */
    public static String kindOf(LossScaler scaler) {
        return scaler instanceof TrackedScale own
                ? own.checkpointKind()
                : scaler.getClass().getName();
    }

    private static String nonEmpty(String name, String value) {
        Objects.requireNonNull(value, name);
        if (value.isEmpty()) {
            throw new IllegalArgumentException(name + " must not be empty");
        }
        return value;
    }

    private static Map<String, String> copyState(Map<String, String> state) {
        Objects.requireNonNull(state, "strategyState");
        TreeMap<String, String> sorted = new TreeMap<>();
        for (Map.Entry<String, String> e : state.entrySet()) {
            String key = Objects.requireNonNull(e.getKey(), "strategyState key");
            String value = Objects.requireNonNull(e.getValue(), "strategyState[" + key + "]");
            if (key.isEmpty()) {
                throw new IllegalArgumentException("strategyState keys must not be empty");
            }
            sorted.put(key, value);
        }
        return Collections.unmodifiableMap(sorted);
    }

    private static void checkStatistics(ClipStatistics s, long step) {
        atMost("statistics.steps", s.steps(), "step", step);
        atMost("statistics.clippedSteps", s.clippedSteps(), "statistics.steps", s.steps());
        atMost("statistics.skippedSteps", s.skippedSteps(), "statistics.steps", s.steps());
        atMost("statistics.nonFiniteSteps", s.nonFiniteSteps(), "statistics.steps", s.steps());
        if (s.clippedSteps() + s.skippedSteps() > s.steps()) {
            // A skipped step never counts as clipped.
            throw new IllegalArgumentException(
                    "statistics.clippedSteps + statistics.skippedSteps must be <= statistics.steps "
                            + s.steps()
                            + ", got "
                            + s.clippedSteps()
                            + " + "
                            + s.skippedSteps());
        }
        // A step adds its micro-batches (an int) to microSteps.
        counter("statistics.microSteps", s.microSteps(), Long.MAX_VALUE - Integer.MAX_VALUE + 1);
        if (s.microSteps() < s.steps()) {
            throw new IllegalArgumentException(
                    "statistics.microSteps must be >= statistics.steps "
                            + s.steps()
                            + ", got "
                            + s.microSteps());
        }
        if (!(s.maxNorm() >= 0f) || Float.isInfinite(s.maxNorm())) {
            throw new IllegalArgumentException(
                    "statistics.maxNorm must be finite and >= 0, got " + s.maxNorm());
        }
    }

    /** Checks {@code 0 <= value <= bound}. */
    private static void atMost(String name, long value, String boundName, long bound) {
        nonNegative(name, value);
        if (value > bound) {
            throw new IllegalArgumentException(
                    name + " must be <= " + boundName + " " + bound + ", got " + value);
        }
    }

    private static void nonNegative(String name, long value) {
        if (value < 0) {
            throw new IllegalArgumentException(name + " must be >= 0, got " + value);
        }
    }

    /** Checks {@code 0 <= value < limit}: the counter's next increment must not overflow. */
    private static void counter(String name, long value, long limit) {
        nonNegative(name, value);
        if (value >= limit) {
            throw new IllegalArgumentException(
                    name
                            + " must be < "
                            + limit
                            + " (its next increment would overflow), got "
                            + value);
        }
    }
}
