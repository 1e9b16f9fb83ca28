package io.gradguard.internal;

import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;

/**
 * Typed, range-checked reads from a strategy state map. Every error names the key and the value; a
 * strategy reads and checks its whole state before changing anything, so a rejected state leaves it
 * unchanged.
 */
public final class StateMaps {

    private StateMaps() {}

    /**
     * Checks that a state map belongs to the named strategy and holds exactly its keys.
     *
     * @param state the map
     * @param strategy the expected value of {@code "strategy"}
     * @param keys every key the strategy writes, {@code "strategy"} included
     * @throws IllegalArgumentException naming the strategy the map belongs to, or the first unknown
     *     or missing key
     */
    public static void checkShape(Map<String, Object> state, String strategy, Set<String> keys) {
        Objects.requireNonNull(state, "state");
        Object actual = state.get("strategy");
        if (!strategy.equals(actual)) {
            throw new IllegalArgumentException(
                    "state belongs to strategy " + actual + ", not " + strategy);
        }
        for (String key : new TreeSet<>(state.keySet())) {
            if (!keys.contains(key)) {
                throw new IllegalArgumentException(
                        "unknown strategy state key "
                                + key
                                + " (="
                                + describe(state.get(key))
                                + "); "
                                + strategy
                                + " keeps "
                                + new TreeSet<>(keys));
            }
        }
        for (String key : new TreeSet<>(keys)) {
            if (!state.containsKey(key)) {
                throw new IllegalArgumentException("missing strategy state key " + key);
            }
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
    public static Number number(Map<String, Object> state, String key) {
        Object value = state.get(key);
        if (!(value instanceof Number)) {
            throw new IllegalArgumentException(
                    "strategy state key " + key + " must be a number, got " + describe(value));
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
    public static boolean bool(Map<String, Object> state, String key) {
        Object value = state.get(key);
        if (!(value instanceof Boolean)) {
            throw new IllegalArgumentException(
                    "strategy state key " + key + " must be a boolean, got " + describe(value));
        }
        return (Boolean) value;
    }

    /**
     * Returns a statistic of norms (a mean, a variance): finite and {@code >= 0}.
     *
     * @param state the map
     * @param key the key
     * @return the value
     * @throws IllegalArgumentException if it is missing, not a number, NaN, infinite or negative
     */
    public static double nonNegative(Map<String, Object> state, String key) {
        double value = number(state, key).doubleValue();
        if (!(value >= 0) || Double.isInfinite(value)) {
            throw new IllegalArgumentException(
                    "strategy state key " + key + " must be finite and >= 0, got " + value);
        }
        return value;
    }

    /**
     * Returns a list of norms (a copy): at most {@code capacity} values, each finite and {@code >=
     * 0}.
     *
     * @param state the map
     * @param key the key
     * @param capacity the most values the strategy keeps
     * @param capacityKey the name of that limit, for the message
     * @return the norms
     * @throws IllegalArgumentException if it is missing, not a {@code double[]}, too long, or holds
     *     a NaN, infinite or negative value
     */
    public static double[] norms(
            Map<String, Object> state, String key, int capacity, String capacityKey) {
        Object value = state.get(key);
        if (!(value instanceof double[] array)) {
            throw new IllegalArgumentException(
                    "strategy state key " + key + " must be a double[], got " + describe(value));
        }
        if (array.length > capacity) {
            throw new IllegalArgumentException(
                    "strategy state key "
                            + key
                            + " holds "
                            + array.length
                            + " norms, more than "
                            + capacityKey
                            + " "
                            + capacity);
        }
        for (int i = 0; i < array.length; i++) {
            if (!(array[i] >= 0) || Double.isInfinite(array[i])) {
                throw new IllegalArgumentException(
                        "strategy state key "
                                + key
                                + "["
                                + i
                                + "] must be a finite norm >= 0, got "
                                + array[i]);
            }
        }
        return array.clone();
    }

    /**
     * Returns a threshold in {@code [0, ceiling]}.
     *
     * @param state the map
     * @param key the key
     * @param ceiling the largest threshold the strategy can produce; may be infinite
     * @return the threshold
     * @throws IllegalArgumentException if it is missing, not a number, NaN or out of range
     */
    public static float threshold(Map<String, Object> state, String key, float ceiling) {
        float value = number(state, key).floatValue();
        if (!(value >= 0f && value <= ceiling)) {
            throw new IllegalArgumentException(
                    "strategy state key " + key + " must be in [0, " + ceiling + "], got " + value);
        }
        return value;
    }

    /**
     * Checks that a configuration value in the state equals this instance's.
     *
     * @param state the map
     * @param key the key
     * @param expected this instance's value
     * @throws IllegalArgumentException if they differ
     */
    public static void sameConfig(Map<String, Object> state, String key, double expected) {
        double actual = number(state, key).doubleValue();
        if (Double.compare(actual, expected) != 0) {
            throw configMismatch(key, actual, expected);
        }
    }

    /**
     * Checks that a boolean configuration value in the state equals this instance's.
     *
     * @param state the map
     * @param key the key
     * @param expected this instance's value
     * @throws IllegalArgumentException if it is missing, not a boolean, or differs
     */
    public static void sameConfig(Map<String, Object> state, String key, boolean expected) {
        boolean actual = bool(state, key);
        if (actual != expected) {
            throw configMismatch(key, actual, expected);
        }
    }

    private static IllegalArgumentException configMismatch(
            String key, Object actual, Object expected) {
        return new IllegalArgumentException(
                "strategy state key "
                        + key
                        + " is "
                        + actual
                        + " but this strategy was built with "
                        + expected
                        + "; restore into a strategy with the same configuration");
    }

    private static String describe(Object value) {
        if (value instanceof double[] array) {
            return "double[] " + java.util.Arrays.toString(array);
        }
        return value == null ? "nothing" : value.getClass().getSimpleName() + " " + value;
    }
}
