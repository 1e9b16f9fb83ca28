package io.gradguard.scale;

import ai.djl.ndarray.NDArray;
import io.gradguard.clip.GradientClipping;
import io.gradguard.internal.GradientScope;
import java.util.List;

/**
 * Enforces the custom-loop order for one {@link LossScaler}: at most one {@code unscale} per
 * optimizer step, and clipping only after it. {@link LossScaler#update(boolean)} starts a new step.
 */
final class UnscaleTracker {

    private boolean unscaled;

    NDArray unscale(LossScaler scaler, List<NDArray> grads) {
        if (unscaled) {
            throw new IllegalStateException(
                    "unscale() was already called for this step: the gradients are already in true"
                            + " units. Call update(foundNonFinite) after the optimizer step before"
                            + " unscaling again.");
        }
        NDArray flag =
                GradientScope.inScope(
                        grads,
                        ops -> ops.unscaleAndCheck(grads, scaler.inverseScaleOn(grads.get(0))));
        unscaled = true;
        return flag;
    }

    NDArray clipGradNorm(LossScaler scaler, List<NDArray> grads, float maxNorm, float normType) {
        if (scaler.isEnabled() && !unscaled) {
            throw new IllegalStateException(
                    "The gradients are still multiplied by the loss scale "
                            + scaler.scale()
                            + ": call unscale(grads) first, so that maxNorm is in true-gradient"
                            + " units.");
        }
        return GradientClipping.clipGradNorm(grads, maxNorm, normType);
    }

    void newStep() {
        unscaled = false;
    }
}
