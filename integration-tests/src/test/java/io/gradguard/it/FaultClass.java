package io.gradguard.it;

/**
 * The faults the injection harness can plant: NaN, +inf and -inf written into one gradient element
 * after backward or multiplied into the loss before it, and a huge finite spike (1e30 in
 * true-gradient units) written into one gradient element.
 */
enum FaultClass {
    GRADIENT_NAN(Target.GRADIENT, Float.NaN),
    GRADIENT_POSITIVE_INFINITY(Target.GRADIENT, Float.POSITIVE_INFINITY),
    GRADIENT_NEGATIVE_INFINITY(Target.GRADIENT, Float.NEGATIVE_INFINITY),
    GRADIENT_FINITE_SPIKE(Target.GRADIENT, 1e30f),
    LOSS_NAN(Target.LOSS, Float.NaN),
    LOSS_POSITIVE_INFINITY(Target.LOSS, Float.POSITIVE_INFINITY),
    LOSS_NEGATIVE_INFINITY(Target.LOSS, Float.NEGATIVE_INFINITY);

    /** Where a fault is planted. */
    enum Target {
        /** One element of one parameter's real gradient, after backward, before the guard. */
        GRADIENT,
        /** The loss value, multiplied before backward, so every gradient is poisoned. */
        LOSS
    }

    private final Target target;
    private final float value;

    FaultClass(Target target, float value) {
        this.target = target;
        this.value = value;
    }

    Target target() {
        return target;
    }

    /** The value written into the gradient element, or the factor the loss is multiplied by. */
    float value() {
        return value;
    }

    /** Whether the fault leaves every value finite (a spike to clip, not a step to skip). */
    boolean isFinite() {
        return Float.isFinite(value);
    }
}
