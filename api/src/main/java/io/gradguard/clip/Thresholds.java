package io.gradguard.clip;

import io.gradguard.spi.Arguments;

/** Argument checks shared by the strategy factories. */
final class Thresholds {

    private Thresholds() {}

    /**
     * Checks that a threshold is finite and positive.
     *
     * @param name the parameter name for the message
     * @param value the value to check
     * @return {@code value}
     * @throws IllegalArgumentException if it is NaN, infinite, zero or negative
     */
    static float positiveFinite(String name, float value) {
        return Arguments.positiveFinite(name, value);
    }
}
