package io.gradguard.spi;

/** Argument checks shared across packages: one validator per rule, one message. */
public final class Arguments {

    private Arguments() {}

    /**
     * Checks that a value is finite and positive.
     *
     * @param name the parameter name for the message
     * @param value the value to check
     * @return {@code value}
     * @throws IllegalArgumentException if it is NaN, infinite, zero or negative
     */
    public static float positiveFinite(String name, float value) {
        if (!(value > 0f) || Float.isInfinite(value)) {
            throw new IllegalArgumentException(name + " must be finite and > 0, got " + value);
        }
        return value;
    }
}
