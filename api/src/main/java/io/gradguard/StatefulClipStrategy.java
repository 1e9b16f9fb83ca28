package io.gradguard;

import java.util.Map;

/**
 * A {@link ClipStrategy} that learns from the steps it sees (an adaptive threshold, a running
 * percentile, a calibration phase) and must carry that knowledge across a checkpoint.
 *
 * <p>{@link ClippingTrainingListener#saveState} stores the map returned by {@link #saveState()} in
 * the checkpoint file, one {@code strategy.state.<key>=<value>} line per entry, together with the
 * strategy's class name; {@link ClippingTrainingListener#loadState} gives the same map back to
 * {@link #restoreState(Map)} of a strategy of the same class. Keep the map small and made of
 * primitives written as text ({@code Float.toString}, {@code Long.toString}, ...): it is meant to
 * be read by people.
 *
 * <p>A stateful strategy belongs to one listener; do not share an instance between listeners.
 */
public interface StatefulClipStrategy extends ClipStrategy {

    /**
     * Returns the strategy's state as text. Called between optimizer steps, on the training thread.
     *
     * @return a map from non-empty keys to values; neither may be {@code null}. The caller copies
     *     it.
     */
    Map<String, String> saveState();

    /**
     * Replaces the strategy's state with one returned by {@link #saveState()} of a strategy of the
     * same class. Must validate every entry and leave the state unchanged when it throws.
     *
     * @param state the saved state
     * @throws IllegalArgumentException if a key is missing or unknown, or a value does not parse or
     *     is out of range; the message names the key and the value
     */
    void restoreState(Map<String, String> state);
}
