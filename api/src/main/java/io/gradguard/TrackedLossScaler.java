package io.gradguard;

import ai.djl.ndarray.NDArray;
import java.util.List;

/**
 * The custom-loop half shared by every {@link LossScaler}: {@link #unscale} at most once per step,
 * {@link #clipGradNorm} only after it, {@link #update} starting the next step.
 */
abstract class TrackedLossScaler implements LossScaler {

    private final UnscaleTracker tracker = new UnscaleTracker();

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

    /**
     * Adjusts the scale after a step; see {@link LossScaler#update(boolean)}.
     *
     * @param foundNonFinite whether the step's gradients held NaN or infinity
     */
    abstract void onUpdate(boolean foundNonFinite);
}
