package io.gradguard.clip;

import java.util.Map;

/**
 * A {@link ClipStrategy} whose threshold depends on the steps it has seen (AutoClip, ZClip,
 * calibration). Such a strategy is mutable: use one instance per training run, and save its state
 * with the model to resume the run where it stopped.
 *
 * <p>History-based strategies read each step's total norm back to the host (one device
 * synchronization per step) to update their history; their javadoc says so.
 *
 * <p>The state is a small map of primitives, boxed primitives, strings and primitive arrays, which
 * any serializer can write (JSON, a properties file, DJL's model properties). Its keys are
 * documented on each factory method; {@code "strategy"} always names the strategy.
 */
public interface StatefulClipStrategy extends ClipStrategy {

    /**
     * Returns a snapshot of the strategy's state. Later steps do not change the snapshot.
     *
     * @return an unmodifiable map; values are {@code Boolean}, {@code Integer}, {@code Long},
     *     {@code Float}, {@code Double}, {@code String} or {@code double[]} (a copy)
     */
    Map<String, Object> state();

    /**
     * Replaces the strategy's state with a snapshot taken by {@link #state()} of a strategy built
     * with the same configuration.
     *
     * @param state the snapshot
     * @throws IllegalArgumentException naming the key (and its value) if the snapshot belongs to
     *     another strategy or configuration, a key is missing, unknown or of the wrong type, or a
     *     value is out of range or inconsistent with the others (a negative or non-finite norm, a
     *     history longer than its window); the state is then unchanged
     */
    void restore(Map<String, Object> state);
}
