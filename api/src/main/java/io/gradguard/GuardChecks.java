package io.gradguard;

import ai.djl.TrainingDivergedException;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.Parameter;
import ai.djl.training.Trainer;
import ai.djl.util.Pair;
import io.gradguard.clip.ClipStrategy;
import io.gradguard.event.AlertEvent;
import io.gradguard.internal.SingleOwner;
import io.gradguard.internal.TrackedScale;
import io.gradguard.internal.TrainableParameters;
import io.gradguard.scale.LossScaler;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Checks that turn misuse and divergence into clear exceptions. */
final class GuardChecks {

    private static final Logger logger = LoggerFactory.getLogger(GuardChecks.class);

    static final String OPTIMIZER_NOT_GUARDED =
            "The trainer's optimizer is not a GuardedOptimizer of this listener, so loss scaling,"
                    + " step skipping and accumulation cannot take effect. Build the training"
                    + " config with GradGuard.trainingConfig(loss, optimizer, listener), or pass"
                    + " new GuardedOptimizer(optimizer, listener) to optOptimizer.";

    static final String STEP_NOT_CALLED =
            "Trainer.step() was not called after the previous training batch: the guard decided"
                    + " that batch's step, and another batch would unscale and clip its gradients"
                    + " a second time. Call trainer.step() after every trainBatch, or accumulate"
                    + " micro-batches with optAccumulationSteps(n).";

    private GuardChecks() {}

    /**
     * Refuses data types that DJL cannot train, before any native call of the guard. Reads the
     * model's declared type and the type of every initialized parameter: a loaded TorchScript model
     * reports float32 whatever its parameters hold.
     */
    static void checkDataType(Trainer trainer) {
        String engine = trainer.getManager().getEngine().getEngineName();
        checkDataType(engine, "Model", trainer.getModel().getDataType());
        for (Pair<String, Parameter> pair : trainer.getModel().getBlock().getParameters()) {
            Parameter parameter = pair.getValue();
            if (parameter.isInitialized()) {
                checkDataType(
                        engine, "Parameter " + pair.getKey(), parameter.getArray().getDataType());
            }
        }
    }

    private static void checkDataType(String engine, String what, DataType type) {
        if (type == DataType.BFLOAT16 || type == DataType.UNKNOWN) {
            // DJL 0.35.1 reports the bfloat16 parameters of a TorchScript model as UNKNOWN.
            throw new IllegalArgumentException(
                    what
                            + " has data type "
                            + (type == DataType.UNKNOWN
                                    ? "unknown to DJL (bfloat16 TorchScript parameters read so)"
                                    : "bfloat16")
                            + ", which is not supported: DJL cannot train bfloat16 (its native"
                            + " code aborts the JVM or fails on a type mismatch). Train in float32"
                            + " or float16.");
        }
        if (type == DataType.FLOAT16 && "MXNet".equals(engine)) {
            throw new IllegalArgumentException(
                    what
                            + " has data type float16, which is not supported on the MXNet engine:"
                            + " DJL cannot initialize float16 parameters there. Use the PyTorch"
                            + " engine for float16.");
        }
    }

    /**
     * Logs a WARN when loss scaling is on and every trainable parameter is float32: such a run
     * trains in float32 with a large loss scale, which buys nothing (float32 gradients do not
     * underflow) and only risks overflow. Host-only: reads the arrays' data types.
     *
     * @return whether the warning was logged
     */
    static boolean warnScalingFloat32(GuardSettings settings, TrainableParameters parameters) {
        if (!settings.scaler().isEnabled() || parameters.size() == 0) {
            return false;
        }
        for (NDArray value : parameters.primaryValues()) {
            if (value.getDataType() != DataType.FLOAT32) {
                return false;
            }
        }
        logger.warn(
                "Loss scaling is on (scale {}) but all {} trainable parameters are float32, so"
                        + " the model trains in float32 and the scale only risks overflow. Convert"
                        + " the model with MixedPrecision.toFloat16(trainer) after"
                        + " trainer.initialize(...), or build the guard without a loss scaler.",
                settings.scaler().scale(),
                parameters.size());
        return true;
    }

    /**
     * Returns the guards registered on a trainer, in registration order, a guard registered twice
     * listed twice.
     */
    static List<ClippingTrainingListener> guardsOn(Trainer trainer) {
        List<ClippingTrainingListener> guards = new ArrayList<>();
        trainer.notifyListeners(
                listener -> {
                    if (listener instanceof ClippingTrainingListener guard) {
                        guards.add(guard);
                    }
                });
        return guards;
    }

    /**
     * Refuses a trainer on which {@code self} is registered more than once, or another guard is
     * registered beside it; guards are compared by identity.
     */
    static void checkSingleGuard(Trainer trainer, Object self) {
        List<ClippingTrainingListener> guards = guardsOn(trainer);
        long selves = guards.stream().filter(g -> g == self).count();
        if (selves > 1) {
            throw new IllegalStateException(
                    "This ClippingTrainingListener is registered "
                            + selves
                            + " times on the trainer; register it once (GradGuard.trainingConfig"
                            + " already registers it, so do not add it again).");
        }
        if (guards.size() > selves) {
            throw new IllegalStateException(
                    "The trainer has "
                            + guards.size()
                            + " ClippingTrainingListeners; one guard per trainer, or gradients"
                            + " would be unscaled and clipped more than once.");
        }
    }

    /** Claims the stateful strategy and scaler for a new listener; all or nothing. */
    static void claim(ClipStrategy strategy, LossScaler scaler) {
        refuseClaimed(strategy, "strategy");
        refuseClaimed(scaler, "lossScaler");
        for (Object component : new Object[] {strategy, scaler}) {
            if (component instanceof SingleOwner owned && !owned.ownership().claim()) {
                refuseClaimed(component, "component");
            }
        }
    }

    private static void refuseClaimed(Object component, String option) {
        if (component instanceof SingleOwner owned && owned.ownership().claimed()) {
            throw new IllegalStateException(
                    option
                            + " "
                            + component
                            + " already belongs to another ClippingTrainingListener; it keeps"
                            + " per-run state, so build a new one for each listener (or each"
                            + " build() call).");
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

    static String nonFiniteMessage(long step, boolean dataFault, List<String> names) {
        String what =
                dataFault
                        ? "A non-finite loss (a data fault: check this batch's inputs and labels)"
                        : "Non-finite gradients";
        return what
                + " at optimizer step "
                + step
                + " in parameters "
                + names
                + "; nothing was updated. Use NonFinitePolicy.SKIP_STEP (or a loss scaler) to skip"
                + " such steps instead.";
    }

    /** The alert raised when the dynamic scale reaches its floor. */
    static AlertEvent scaleFloorAlert(long step, float scale) {
        String message =
                "the loss scale backed off to its floor "
                        + scale
                        + ": gradients overflow even at the smallest scale that unscaling can undo,"
                        + " so the model produces NaN or infinity by itself. Check the data and"
                        + " the model; a lower learning rate helps only if the gradient norms grew"
                        + " before the overflows.";
        logger.warn("Step {}: {}", step, message);
        return new AlertEvent(step, AlertEvent.Kind.LOSS_SCALE_FLOOR, scale, scale, message);
    }

    /** Throws when training has really diverged: too many skips in a row. */
    static void checkDivergence(
            int consecutiveSkips, GuardSettings settings, StepDecision decision) {
        boolean atFloor = settings.scaler() instanceof TrackedScale tracked && tracked.atFloor();
        if (consecutiveSkips >= settings.maxConsecutiveSkips()) {
            throw new TrainingDivergedException(
                    consecutiveSkips
                            + " consecutive optimizer steps had a non-finite loss or non-finite"
                            + " gradients and were skipped; training has diverged. "
                            + (atFloor
                                    ? "The loss scale is at its floor "
                                            + settings.scaler().scale()
                                            + ", so this is not a scaling problem: check the data"
                                            + " and the model."
                                    : "Check the data, lower the learning rate, or raise"
                                            + " optMaxConsecutiveSkips."));
        }
        if (decision.action() == StepDecision.Action.SKIP && atFloor && consecutiveSkips > 1) {
            throw new TrainingDivergedException(
                    "The loss scale reached its floor "
                            + settings.scaler().scale()
                            + " and gradients still overflow; training has diverged. At this scale"
                            + " the overflow is not a scaling problem: check the data and the"
                            + " model.");
        }
    }
}
