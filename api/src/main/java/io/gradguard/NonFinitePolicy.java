package io.gradguard;

import io.gradguard.clip.NonFiniteGradientException;

/**
 * What a {@link ClippingTrainingListener} does when a step's gradients hold NaN or infinity.
 *
 * <p>When the trainer's loss is a {@link ScaledLoss} (as {@link GradGuard#trainingConfig} installs
 * it), every loss value is also checked for NaN and infinity on the device, and read in the step's
 * single transfer. A step whose loss was non-finite (on any device, in any micro-batch of the
 * window) is a data fault: it is skipped under {@link NonFinitePolicy#SKIP_STEP}, throws under
 * {@link NonFinitePolicy#ERROR}, and leaves the loss scaler's state unchanged ({@link
 * io.gradguard.scale.LossScaler#recordDataFault()}). A step with a finite loss and non-finite
 * gradients is an overflow: skipped, and the scaler backs off as PyTorch's GradScaler does. Both
 * count toward {@code optMaxConsecutiveSkips}; {@link StepReport#dataFault()} and {@link
 * ClipStatistics#dataFaultSteps()} tell them apart.
 */
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
