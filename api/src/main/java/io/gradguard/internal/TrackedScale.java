package io.gradguard.internal;

/**
 * What the guard needs from GradGuard's own loss scalers beyond the public {@code LossScaler}
 * contract: the device copies of the scale, the wiring error raised at the next forward pass, the
 * floor, and the kind a checkpoint records. Custom scalers do not implement it; the guard then
 * treats them as plain {@code LossScaler}s.
 */
public interface TrackedScale {

    /** The checkpoint kind of a disabled scaler. */
    String KIND_NONE = "none";

    /** The checkpoint kind of a fixed scaler. */
    String KIND_FIXED = "fixed";

    /** The checkpoint kind of a dynamic scaler. */
    String KIND_DYNAMIC = "dynamic";

    /** Frees the device copies of the scale; they are made again when next needed. */
    void releaseDeviceScalars();

    /**
     * Records a wiring error that the scaled loss raises at the next forward pass.
     *
     * @param message the error's message
     */
    void raiseWiringError(String message);

    /**
     * Throws the recorded wiring error, if any, once.
     *
     * @throws IllegalStateException if an error was recorded
     */
    void checkWiring();

    /** Forgets a recorded wiring error, when a listener starts guarding a new trainer. */
    void clearWiringError();

    /**
     * Returns whether the scale sits at its lower bound, where backing off can go no further.
     *
     * @return whether the scale is at its floor
     */
    boolean atFloor();

    /**
     * Returns the name a checkpoint records for this scaler's kind: {@link #KIND_NONE}, {@link
     * #KIND_FIXED} or {@link #KIND_DYNAMIC}, independent of the implementing class.
     *
     * @return the kind
     */
    String checkpointKind();
}
