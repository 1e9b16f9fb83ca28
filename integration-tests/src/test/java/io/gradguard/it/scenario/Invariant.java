package io.gradguard.it.scenario;

/** The properties checked after every optimizer step of a scenario. */
enum Invariant {
    /**
     * Skip, error and report bookkeeping: a step is skipped (or, under ERROR, refused) exactly when
     * its unscaled gradient holds NaN or infinity, and the report counts it.
     */
    DECISION,
    /** 1. No weight is NaN or infinite unless the policy is PROPAGATE. */
    FINITE_WEIGHTS,
    /**
     * 2. A skipped or refused step leaves every weight bit-identical; an applied one every frozen
     * weight.
     */
    UNCHANGED_WEIGHTS,
    /**
     * 3. The reported pre-clip norm is the L2 norm of the de-duplicated, unscaled, window-mean
     * gradients of the trainable parameters.
     */
    NORM,
    /**
     * 3b. The pre-clip norm of finite gradients whose true norm fits in float32 is reported finite
     * (a float32 sum of squares overflows for norms above about 1.8e19).
     */
    NORM_OVERFLOW,
    /** 4. With plain SGD, the update respects the strategy's bound (lr * c for global norm). */
    UPDATE_BOUND,
    /** 5. A run resumed from a checkpoint equals the uninterrupted one bit for bit. */
    RESUME,
    /**
     * 6. Native arrays alive in the engine, outside the constants cache, return to their count
     * before the scenario.
     */
    LEAK,
    /**
     * 6b. The constants cache ({@code gradguard-constants}), documented to keep one array per
     * engine, device, dtype and value for the JVM's life, grows only by values that no earlier
     * scenario of this JVM configured.
     */
    CONSTANTS,
    /** The scenario threw something it should not have. */
    CRASH
}
