package io.gradguard.scale;

/**
 * The range of loss scales and scale factors that unscaling can undo exactly: the one place that
 * rule lives.
 *
 * <p>Unscaling multiplies every gradient by {@code fp32(1 / fp64(S))}. If that inverse is infinite
 * (for {@code S} below about {@code 2.9e-39}) the unscaled gradients become infinite or NaN; if it
 * is subnormal (for {@code S} above about {@code 8.5e37}) it loses precision. So a scale {@code S},
 * and likewise a growth or backoff factor, is accepted only when {@code fp32(1 / fp64(S))} is a
 * finite normal float. {@link #MIN_SCALE} and {@link #MAX_SCALE} are the bounds of that range,
 * computed from the rule itself rather than written as literals.
 */
final class LossScaleRange {

    /** The smallest float whose inverse is a finite normal float (about {@code 2.94e-39}). */
    static final float MIN_SCALE = smallestInvertible();

    /** The largest float whose inverse is a finite normal float (about {@code 8.5e37}). */
    static final float MAX_SCALE = largestInvertible();

    private LossScaleRange() {}

    /**
     * Returns whether {@code fp32(1 / fp64(value))} is a finite normal float.
     *
     * @param value the scale or factor
     * @return whether unscaling by it is exact in range
     */
    static boolean hasNormalInverse(float value) {
        if (!(value > 0f) || !Float.isFinite(value)) {
            return false;
        }
        float inverse = (float) (1.0 / value);
        return Float.isFinite(inverse) && inverse >= Float.MIN_NORMAL;
    }

    /**
     * Checks a loss scale or scale bound.
     *
     * @param name the option, for the message
     * @param value the value
     * @return {@code value}
     * @throws IllegalArgumentException unless {@code value} lies in {@code [MIN_SCALE, MAX_SCALE]}
     */
    static float checkScale(String name, float value) {
        if (!hasNormalInverse(value)) {
            throw new IllegalArgumentException(
                    name
                            + " must lie in ["
                            + MIN_SCALE
                            + ", "
                            + MAX_SCALE
                            + "] so that its inverse 1/"
                            + name
                            + " is a finite normal float, got "
                            + value);
        }
        return value;
    }

    private static float smallestInvertible() {
        float candidate = 0x1p-127f; // inverse 2^127: finite and normal
        while (hasNormalInverse(Math.nextDown(candidate))) {
            candidate = Math.nextDown(candidate);
        }
        return candidate;
    }

    private static float largestInvertible() {
        float candidate = 0x1p126f; // inverse 2^-126 = Float.MIN_NORMAL
        while (hasNormalInverse(Math.nextUp(candidate))) {
            candidate = Math.nextUp(candidate);
        }
        return candidate;
    }
}
