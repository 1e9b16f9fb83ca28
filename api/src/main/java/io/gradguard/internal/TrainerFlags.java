package io.gradguard.internal;

import ai.djl.training.Trainer;
import java.lang.reflect.Field;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Tells a DJL {@link Trainer} that its gradients were seen after a backward pass.
 *
 * <p>DJL's first {@code Trainer.step()} sums every gradient and throws if the sum is exactly zero,
 * to catch a missing backward pass. Under a guard that check misfires: a skipped or held step, or a
 * clip whose coefficient is 0 (a norm that overflows float32, as in PyTorch), legitimately leaves
 * zeros. The guard only runs after a backward pass, so it marks the check as done. This reads a
 * private field of DJL 0.35.1 ({@code Trainer.gradientsChecked}); on a DJL without it nothing
 * happens, and DJL's own check stays in force.
 */
public final class TrainerFlags {

    private static final Logger logger = LoggerFactory.getLogger(TrainerFlags.class);

    private TrainerFlags() {}

    /**
     * Marks the trainer's first-step gradient check as passed.
     *
     * @param trainer a trainer whose listener has seen gradients after a backward pass
     */
    public static void markGradientsChecked(Trainer trainer) {
        try {
            Field field = Trainer.class.getDeclaredField("gradientsChecked");
            field.setAccessible(true);
            field.setBoolean(trainer, true);
        } catch (ReflectiveOperationException | RuntimeException e) {
            logger.debug("DJL's first-step gradient check stays in force: {}", e.toString());
        }
    }
}
