package io.gradguard.scale;

import ai.djl.ndarray.NDArray;
import io.gradguard.internal.ScalarSlot;
import io.gradguard.internal.TrackedScale;
import java.util.List;

/**
 * The custom-loop half shared by every {@link LossScaler}: {@link #unscale} at most once per step,
 * {@link #clipGradNorm} only after it, {@link #update} starting the next step.
 */
abstract class TrackedLossScaler implements LossScaler, TrackedScale {

    private final UnscaleTracker tracker = new UnscaleTracker();
    private final ScalarSlot scaleSlot = new ScalarSlot();
    private final ScalarSlot inverseSlot = new ScalarSlot();
    private volatile String wiringError;

    /**
     * Returns {@code loss * S}, with {@code S} held in a float32 device slot that is replaced only
     * when the scale changes.
     */
    @Override
    public final NDArray scaleLoss(NDArray loss) {
        return loss.mul(scaleSlot.get(loss, scale()));
    }

    /** Returns {@code 1/S} from a float32 device slot replaced only when the scale changes. */
    @Override
    public final NDArray inverseScaleOn(NDArray like) {
        return inverseSlot.get(like, inverseScale());
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

    @Override
    public final void releaseDeviceScalars() {
        scaleSlot.release();
        inverseSlot.release();
    }

    @Override
    public final void raiseWiringError(String message) {
        wiringError = message;
    }

    @Override
    public final void checkWiring() {
        String message = wiringError;
        if (message != null) {
            wiringError = null; // raised once: a rebound listener starts clean
            throw new IllegalStateException(message);
        }
    }

    @Override
    public final void clearWiringError() {
        wiringError = null;
    }

    @Override
    public boolean atFloor() {
        return false;
    }

    /**
     * Adjusts the scale after a step; see {@link LossScaler#update(boolean)}.
     *
     * @param foundNonFinite whether the step's gradients held NaN or infinity
     */
    abstract void onUpdate(boolean foundNonFinite);
}
