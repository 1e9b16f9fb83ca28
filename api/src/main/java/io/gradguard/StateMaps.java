package io.gradguard;

import java.util.Map;
import java.util.Objects;

/** Typed reads from a strategy state map, with errors that name the key. */
final class StateMaps {

    private StateMaps() {}

    /**
     * Checks that a state map belongs to the named strategy.
     *
     * @param state the map
     * @param strategy the expected value of {@code "strategy"}
     * @throws IllegalArgumentException if it does not
     */
    static void checkStrategy(Map<String, Object> state, String strategy) {
        Objects.requireNonNull(state, "state");
        Object actual = state.get("strategy");
        if (!strategy.equals(actual)) {
            throw new IllegalArgumentException(
                    "state belongs to strategy " + actual + ", not " + strategy);
        }
    }

    /**
     * Returns a numeric value.
     *
     * @param state the map
     * @param key the key
     * @return the value
     * @throws IllegalArgumentException if it is missing or not a number
     */
    static Number number(Map<String, Object> state, String key) {
        Object value = state.get(key);
        if (!(value instanceof Number)) {
            throw new IllegalArgumentException(
                    "state key " + key + " must be a number, got " + describe(value));
        }
        return (Number) value;
    }

    /**
     * Returns a boolean value.
     *
     * @param state the map
     * @param key the key
     * @return the value
     * @throws IllegalArgumentException if it is missing or not a boolean
     */
    static boolean bool(Map<String, Object> state, String key) {
        Object value = state.get(key);
        if (!(value instanceof Boolean)) {
            throw new IllegalArgumentException(
                    "state key " + key + " must be a boolean, got " + describe(value));
        }
        return (Boolean) value;
    }

    /**
     * Returns a {@code double[]} value (a copy).
     *
     * @param state the map
     * @param key the key
     * @return the array
     * @throws IllegalArgumentException if it is missing or not a {@code double[]}
     */
    static double[] doubles(Map<String, Object> state, String key) {
        Object value = state.get(key);
        if (!(value instanceof double[])) {
            throw new IllegalArgumentException(
                    "state key " + key + " must be a double[], got " + describe(value));
        }
        return ((double[]) value).clone();
    }

    /**
     * Checks that a configuration value in the state equals this instance's.
     *
     * @param state the map
     * @param key the key
     * @param expected this instance's value
     * @throws IllegalArgumentException if they differ
     */
    static void sameConfig(Map<String, Object> state, String key, double expected) {
        double actual = number(state, key).doubleValue();
        if (Double.compare(actual, expected) != 0) {
            throw new IllegalArgumentException(
                    "state key "
                            + key
                            + " is "
                            + actual
                            + " but this strategy was built with "
                            + expected
                            + "; restore into a strategy with the same configuration");
        }
    }

    private static String describe(Object value) {
        return value == null ? "nothing" : value.getClass().getSimpleName() + " " + value;
    }
}
