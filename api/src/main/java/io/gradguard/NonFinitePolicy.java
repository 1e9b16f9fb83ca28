package io.gradguard;

import io.gradguard.clip.NonFiniteGradientException;

/** What a {@link ClippingTrainingListener} does when a step's gradients hold NaN or infinity. */
public enum NonFinitePolicy {
    /**
     * Skip the optimizer update: no weight, moment or update-count change; the gradients are zeroed
     * (NaN-safely) and training continues. The default when a loss scaler is set. Costs one
     * device-to-host read per step, which also carries the step's norm.
     */
    SKIP_STEP,
    /**
     * Throw {@link NonFiniteGradientException} at once, naming the offending parameters. Nothing is
     * updated. Costs one read per step.
     */
    ERROR,
    /**
     * Do nothing special: the clip coefficient becomes NaN and the update writes NaN into the
     * weights, as PyTorch does without a scaler. The default without a loss scaler.
     */
    PROPAGATE
}
