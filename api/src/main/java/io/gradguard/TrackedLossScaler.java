package io.gradguard;

import ai.djl.ndarray.NDArray;
import io.gradguard.internal.DeviceScalars;
import io.gradguard.internal.ScalarSlot;
import java.util.List;

/**
 * The custom-loop half shared by every {@link LossScaler}: {@link #unscale} at most once per step,
 * {@link #clipGradNorm} only after it, {@link #update} starting the next step.
 */
abstract class TrackedLossScaler implements LossScaler {

    private final UnscaleTracker tracker = new UnscaleTracker();
    private final ScalarSlot scaleSlot = new ScalarSlot();
    private final ScalarSlot inverseSlot = new ScalarSlot();
    private volatile String wiringError;

    /**
     * Returns {@code S} as a float32 device scalar beside {@code like}, for any scaler: a slot that
     * is replaced only when the scale changes for GradGuard's scalers, a cached constant for
     * others.
     */
    static NDArray scaleOn(LossScaler scaler, NDArray like) {
        return scaler instanceof TrackedLossScaler tracked
                ? tracked.scaleSlot.get(like, scaler.scale())
                : DeviceScalars.fp32(like, scaler.scale());
    }

    /** Returns {@code 1/S} as a float32 device scalar beside {@code like}; see {@link #scaleOn}. */
    static NDArray inverseOn(LossScaler scaler, NDArray like) {
        return scaler instanceof TrackedLossScaler tracked
                ? tracked.inverseSlot.get(like, scaler.inverseScale())
                : DeviceScalars.fp32(like, scaler.inverseScale());
    }

    @Override
    public final NDArray unscale(List<NDArray> grads) {
        return tracker.unscale(this, grads);
    }

    @Override
    public final NDArray clipGradNorm(List<NDArray> grads, float maxNorm, float normType) {
        return tracker.clipGradNorm(this, grads, maxNorm, normType);
    }

    @Override
    public final void update(boolean foundNonFinite) {
        tracker.newStep();
        onUpdate(foundNonFinite);
    }

    @Override
    public final void recordDataFault() {
        tracker.newStep();
    }

    /** Frees the device copies of the scale; they are made again when next needed. */
    void releaseDeviceScalars() {
        scaleSlot.release();
        inverseSlot.release();
    }

    /** Records a wiring error that {@link ScaledLoss} raises at the next forward pass. */
    void raiseWiringError(String message) {
        wiringError = message;
    }

    /**
     * Throws the recorded wiring error, if any.
     *
     * @throws IllegalStateException if a {@link GuardedOptimizer} refused an update
     */
    void checkWiring() {
        String message = wiringError;
        if (message != null) {
            wiringError = null; // raised once: a rebound listener starts clean
            throw new IllegalStateException(message);
        }
    }

    /** Forgets a recorded wiring error, when a listener starts guarding a new trainer. */
    void clearWiringError() {
        wiringError = null;
    }

    /**
     * Returns whether the scale sits at its lower bound, where backing off can go no further.
     *
     * @return whether the scale is at its floor
     */
    boolean atFloor() {
        return false;
    }

    /**
     * Returns the name a checkpoint records for this scaler's kind, which a restored scaler must
     * match: one of {@link GuardCheckpoint#SCALER_NONE}, {@link GuardCheckpoint#SCALER_FIXED} and
     * {@link GuardCheckpoint#SCALER_DYNAMIC}, independent of the implementing class.
     *
     * @return the kind
     */
    abstract String checkpointKind();

    /**
     * Adjusts the scale after a step; see {@link LossScaler#update(boolean)}.
     *
     * @param foundNonFinite whether the step's gradients held NaN or infinity
     */
    abstract void onUpdate(boolean foundNonFinite);
}
