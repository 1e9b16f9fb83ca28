package io.gradguard;

import ai.djl.TrainingDivergedException;
import ai.djl.ndarray.types.DataType;
import ai.djl.training.Trainer;
import java.util.List;

/** Checks that turn misuse and divergence into clear exceptions. */
final class GuardChecks {

    static final String OPTIMIZER_NOT_GUARDED =
            "The trainer's optimizer is not a GuardedOptimizer of this listener, so loss scaling,"
                    + " step skipping and accumulation cannot take effect. Build the training"
                    + " config with GradGuard.trainingConfig(loss, optimizer, listener), or pass"
                    + " new GuardedOptimizer(optimizer, listener) to optOptimizer.";

    private GuardChecks() {}

    /** Refuses data types that DJL cannot train, before any native call of the guard. */
    static void checkDataType(Trainer trainer) {
        DataType type = trainer.getModel().getDataType();
        String engine = trainer.getManager().getEngine().getEngineName();
        if (type == DataType.BFLOAT16) {
            throw new IllegalArgumentException(
                    "Model data type bfloat16 is not supported: DJL's native code aborts the JVM on"
                            + " bfloat16 training. Train in float32 or float16.");
        }
        if (type == DataType.FLOAT16 && "MXNet".equals(engine)) {
            throw new IllegalArgumentException(
                    "Model data type float16 is not supported on the MXNet engine: DJL cannot"
                            + " initialize float16 parameters there. Use the PyTorch engine for"
                            + " float16.");
        }
    }

    /** Checks that the loss and optimizer are wired for what the settings ask. */
    static void checkWiring(Trainer trainer, GuardSettings settings, StepGate gate) {
        if (settings.scaler().isEnabled()
                && !(trainer.getLoss() instanceof ScaledLoss scaled
                        && scaled.getScaler() == settings.scaler())) {
            throw new IllegalStateException(
                    "Loss scaling needs the trainer's loss wrapped in a ScaledLoss with this"
                            + " listener's scaler, or gradients would be unscaled without having"
                            + " been scaled. Build the training config with"
                            + " GradGuard.trainingConfig(loss, optimizer, listener).");
        }
        if (settings.needsGate() && !gate.optimizerAttached()) {
            throw new IllegalStateException(OPTIMIZER_NOT_GUARDED);
        }
    }

    static String nonFiniteMessage(long step, List<String> names) {
        return "Non-finite gradients at optimizer step "
                + step
                + " in parameters "
                + names
                + "; nothing was updated. Use NonFinitePolicy.SKIP_STEP (or a loss scaler) to skip"
                + " such steps instead.";
    }

    /** Throws when training has really diverged: too many skips in a row. */
    static void checkDivergence(
            int consecutiveSkips, GuardSettings settings, StepGate.Decision decision) {
        if (consecutiveSkips >= settings.maxConsecutiveSkips()) {
            throw new TrainingDivergedException(
                    consecutiveSkips
                            + " consecutive optimizer steps had non-finite gradients and were"
                            + " skipped; training has diverged. Lower the learning rate, check"
                            + " the data, or raise optMaxConsecutiveSkips.");
        }
        if (decision == StepGate.Decision.SKIP
                && settings.scaler() instanceof DynamicLossScaler dynamic
                && dynamic.minScale() > Float.MIN_VALUE
                && dynamic.scale() <= dynamic.minScale()
                && consecutiveSkips > 1) {
            throw new TrainingDivergedException(
                    "The loss scale reached its minimum "
                            + dynamic.minScale()
                            + " and gradients still overflow; training has diverged.");
        }
    }
}
