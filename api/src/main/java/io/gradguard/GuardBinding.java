package io.gradguard;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.Trainer;
import io.gradguard.internal.TrainableParameters;
import io.gradguard.internal.TrainerFlags;
import io.gradguard.spi.GradientOps;
import java.util.List;

/**
 * What a guard holds for the trainer it guards: the trainer, its trainable parameters (kept in step
 * with freezing and unfreezing), the engine's gradient ops, the accumulation running sum where
 * backward cannot accumulate. Built at the trainer's first training batch; closed at training end.
 */
final class GuardBinding implements AutoCloseable {

    private final GuardSettings settings;
    private final StepGate gate;
    private final Trainer trainer;
    private final GradientOps ops;
    private TrainableParameters parameters;
    private AccumulationBuffer buffer;

    private GuardBinding(GuardSettings settings, StepGate gate, Trainer trainer) {
        this.settings = settings;
        this.gate = gate;
        this.trainer = trainer;
        this.ops =
                settings.ops() != null
                        ? settings.ops()
                        : GradientOps.forEngine(trainer.getManager().getEngine());
    }

    /**
     * Binds a guard to a trainer at its first training batch, after backward: checks the wiring and
     * the data types, snapshots the trainable parameters and prepares accumulation.
     *
     * @throws IllegalStateException if the wiring is wrong or nothing is trainable
     * @throws IllegalArgumentException if a data type cannot be trained
     */
    static GuardBinding bind(GuardSettings settings, StepGate gate, Trainer trainer) {
        GuardChecks.checkWiring(trainer, settings, gate);
        GuardChecks.checkDataType(trainer);
        TrainableParameters first = TrainableParameters.of(trainer);
        if (first.size() == 0) {
            throw new IllegalStateException(
                    "The model has no trainable parameters: every parameter is frozen or"
                            + " uninitialized, so there is nothing to guard. Unfreeze some"
                            + " parameters (Parameter.freeze(false)) before training.");
        }
        GuardBinding binding = new GuardBinding(settings, gate, trainer);
        binding.use(first);
        // The guard only runs after a backward pass: DJL's all-zero first-step check would
        // misfire on a skipped, held or zero-clipped step.
        TrainerFlags.markGradientsChecked(trainer);
        return binding;
    }

    Trainer trainer() {
        return trainer;
    }

    TrainableParameters parameters() {
        return parameters;
    }

    GradientOps ops() {
        return ops;
    }

    AccumulationBuffer buffer() {
        return buffer;
    }

    /** Returns a new sub-manager of the trainer's manager for one step's arrays. */
    NDManager newScope() {
        NDManager scope = trainer.getManager().newSubManager();
        scope.setName("gradguard-step");
        return scope;
    }

    /**
     * Picks up freezing and unfreezing: a host-only comparison per batch, a new snapshot when the
     * trainable set changed. Parameters that left the set have their gradients discarded, so that a
     * stale gradient never returns when they are trained again.
     */
    void refresh() {
        if (parameters.isCurrent(trainer)) {
            return;
        }
        TrainableParameters next = TrainableParameters.of(trainer);
        List<NDArray> left = parameters.valuesLeftIn(next);
        if (!left.isEmpty()) {
            ops.discardGradients(left);
        }
        if (buffer != null) {
            buffer.retain(next.ids());
        }
        use(next);
    }

    private void use(TrainableParameters next) {
        if (parameters != null && parameters != next) {
            parameters.releaseHandles();
        }
        parameters = next;
        boolean nativeAccumulation = true;
        if (settings.accumulationSteps() > 1 && next.size() > 0) {
            nativeAccumulation = buffer == null && ops.prepareAccumulation(next.allValues());
            if (!nativeAccumulation && buffer == null) {
                buffer = new AccumulationBuffer(trainer.getManager(), ops);
            }
        }
        gate.bind(next.arraysById(), ops, settings.accumulationSteps() > 1 && nativeAccumulation);
    }

    @Override
    public void close() {
        parameters.releaseHandles();
        if (buffer != null) {
            buffer.close();
            buffer = null;
        }
    }
}
