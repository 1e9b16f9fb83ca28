package io.gradguard;

import ai.djl.training.Trainer;
import ai.djl.training.listener.TrainingListener;
import ai.djl.training.listener.TrainingListenerAdapter;
import io.gradguard.clip.ClipStrategy;
import io.gradguard.clip.StatefulClipStrategy;
import io.gradguard.scale.LossScaler;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Objects;
import java.util.Optional;

/**
 * A DJL {@link TrainingListener} that guards every optimizer step: unscale, clip, and step or skip.
 * Install it with {@link GradGuard#trainingConfig} (which also wraps the loss and the optimizer),
 * or, for clipping alone, with {@code DefaultTrainingConfig.addTrainingListeners}.
 *
 * <pre>{@code
 * ClippingTrainingListener guard = ClippingTrainingListener.builder()
 *         .setStrategy(ClipStrategy.globalNorm(1f))
 *         .optLossScaler(LossScaler.dynamic())      // optional: mixed precision
 *         .optAccumulationSteps(4)                  // optional: 4 micro-batches per update
 *         .build();
 * DefaultTrainingConfig config = GradGuard.trainingConfig(loss, Optimizer.adamW().build(), guard)
 *         .addTrainingListeners(GradGuard.loggingListeners());
 * EasyTrain.fit(trainer, epochs, trainSet, validateSet); // unchanged
 * }</pre>
 *
 * <p><b>Order of operations.</b> After backward ({@code loss * S} through {@link ScaledLoss}), each
 * batch is held (a micro-batch before the last of its accumulation window) or stepped: gathered,
 * unscaled and checked, clipped with the window mean folded in, read once, and decided once; {@code
 * Trainer.step()} then reaches the {@link GuardedOptimizer}, which acts on that decision. The full
 * order is written once, in the package's step runner ({@code StepRunner}). An unfinished window is
 * stepped at epoch end.
 *
 * <p><b>Which parameters are guarded.</b> As in PyTorch, every parameter the optimizer will update:
 * those requiring a gradient when the window ends, a tied parameter (listed under several names)
 * once. Freezing and unfreezing on a live trainer are picked up at the next batch. A parameter
 * unfrozen inside an accumulation window joins it with its gradients since, divided by the whole
 * window's count; one frozen inside a window leaves it, and its gradient is discarded, so that no
 * stale gradient returns later.
 *
 * <p><b>Data faults and overflows.</b> A non-finite loss (checked on the device when the loss is a
 * {@link ScaledLoss}) is a data fault, non-finite gradients with a finite loss an overflow; {@link
 * NonFinitePolicy} says what each does. Metrics written to {@code trainer.getMetrics()} when set:
 * see {@link GuardMetrics}.
 *
 * <p>One listener guards one trainer at a time; it rebinds after the previous trainer closed. Its
 * counters and statistics start again then, while the loss scaler's state and a stateful strategy's
 * history carry over (restore a checkpoint to start from elsewhere).
 *
 * <p><b>Checkpoints.</b> {@link #saveState(Path, String)} writes the listener's state, and the
 * optimizer's state that DJL's {@code model.save} drops, beside DJL's model file; {@link
 * #loadState(Path, String)} reads both back, refusing truncated, corrupt or foreign files, and the
 * resumed run continues bit for bit. Checkpoints are taken between optimizer steps only, never
 * inside an accumulation window.
 *
 * <pre>{@code
 * model.save(dir, "run");                 guard.saveState(dir, "run");
 * // later, in a new process:
 * model.load(dir, "run");                 guard.loadState(dir, "run");
 * Trainer trainer = model.newTrainer(GradGuard.trainingConfig(loss, optimizer, guard));
 * }</pre>
 */
public final class ClippingTrainingListener extends TrainingListenerAdapter {

    private final GuardSettings settings;
    private final StepGate gate = new StepGate();
    private final ReportPublisher publisher;
    private final StepRunner runner;
    private OptimizerCheckpoint optimizerState = new OptimizerCheckpoint();

    ClippingTrainingListener(GuardSettings settings) {
        this.settings = settings;
        this.publisher = new ReportPublisher(settings);
        this.runner = new StepRunner(settings, gate, publisher);
    }

    /**
     * Returns a builder; {@link ClippingTrainingListenerBuilder#setStrategy(ClipStrategy)} is
     * required.
     *
     * @return a new builder
     */
    public static ClippingTrainingListenerBuilder builder() {
        return new ClippingTrainingListenerBuilder();
    }

    /**
     * Returns the strategy this listener applies.
     *
     * @return the strategy
     */
    public ClipStrategy getStrategy() {
        return settings.strategy();
    }

    /**
     * Returns the loss scaler ({@link LossScaler#none()} unless one was set).
     *
     * @return the scaler
     */
    public LossScaler getLossScaler() {
        return settings.scaler();
    }

    /**
     * Returns the number of micro-batches per optimizer step.
     *
     * @return {@code >= 1}
     */
    public int getAccumulationSteps() {
        return settings.accumulationSteps();
    }

    /**
     * Returns the statistics of the steps reported so far. With {@link ReportMode#ON_DEMAND} and no
     * skip decision to make, only the steps whose report was read count.
     *
     * @return an immutable snapshot
     */
    public ClipStatistics getStatistics() {
        return publisher.statistics();
    }

    /**
     * Returns the report of the latest optimizer step, reading it from the device if it has not
     * been read yet (one synchronization).
     *
     * @return the latest report, or empty before the first step
     */
    public Optional<StepReport> getLastReport() {
        return publisher.lastReport(runner.trainer());
    }

    /**
     * Returns the number of optimizer steps (applied or skipped) so far.
     *
     * @return the step counter
     */
    public long getStepCount() {
        return runner.counters().step;
    }

    /**
     * Returns whether the next {@code Trainer.step()} will update the weights (as opposed to
     * holding an accumulation micro-step or skipping a non-finite step).
     *
     * @return whether the pending step applies
     */
    public boolean isPendingStepApplied() {
        return gate.decision().action() == StepDecision.Action.APPLY;
    }

    StepGate gate() {
        return gate;
    }

    /** Returns the number of training batches processed for the current trainer. */
    long batchesSeen() {
        return runner.counters().batchesSeen;
    }

    /** Returns whether this guard skips or refuses non-finite steps itself. */
    boolean handlesNonFiniteSteps() {
        return settings.policy() != NonFinitePolicy.PROPAGATE;
    }

    /**
     * Returns a snapshot of this listener's training state. With {@link ReportMode#ON_DEMAND}, a
     * report not yet read is read first (one synchronization) so that the statistics are complete.
     * The snapshot does not hold the optimizer's state; {@link #saveState} writes that to a file of
     * its own.
     *
     * @return the state
     * @throws IllegalStateException inside an accumulation window, or after a batch whose {@code
     *     Trainer.step()} has not run yet
     */
    public GuardCheckpoint checkpoint() {
        StepCounters c = runner.counters();
        CheckpointRules.checkBoundary(
                c.microInWindow, settings.accumulationSteps(), runner.stepPending());
        publisher.lastReport(runner.trainer());
        return CheckpointRules.snapshot(settings, c, publisher.statistics());
    }

    /**
     * Restores a state taken by {@link #checkpoint()}: counters, statistics, the loss scaler's
     * state and a {@link StatefulClipStrategy}'s state, all or nothing. Call it before the first
     * resumed batch, either before the trainer is created (the state then survives its {@code
     * onTrainingBegin}) or after.
     *
     * @param checkpoint the state to restore
     * @throws IllegalArgumentException if the checkpoint does not fit this listener: another kind
     *     of loss scaler, a scaler state this scaler rejects, or strategy state for another
     *     strategy
     * @throws IllegalStateException inside an accumulation window
     */
    public void restore(GuardCheckpoint checkpoint) {
        Objects.requireNonNull(checkpoint, "checkpoint");
        CheckpointRules.checkBoundary(
                runner.counters().microInWindow, settings.accumulationSteps(), false);
        CheckpointRules.restoreComponents(settings, checkpoint);
        runner.restoreCounters(checkpoint);
    }

    /**
     * Writes {@link #checkpoint()} (step and epoch counters, consecutive skips, statistics, the
     * loss scaler's state, a {@link StatefulClipStrategy}'s state) to {@code
     * dir/name-gradguard.properties}, beside the {@code name-NNNN.params} file of DJL's {@code
     * model.save(dir, name)}. When the trainer's optimizer is a {@link GuardedOptimizer} wired to
     * this listener (as {@link GradGuard#trainingConfig} installs it), it also writes to {@code
     * dir/name-gradguard-optimizer.bin}, versioned and checksummed, the state DJL keeps in memory
     * only: the wrapped optimizer's update counts and state arrays (Adam's and AdamW's moments,
     * SGD's and Nag's momentum, RmsProp's, Adagrad's and Adadelta's accumulators) and the float32
     * master weights of float16 parameters, as raw bytes keyed by parameter name and device. That
     * state is reached through private fields of DJL's optimizers, pinned to DJL 0.35.1. Each file
     * is replaced atomically through a temporary file of its own in {@code dir}: a crash or a
     * concurrent save to the same name leaves complete files and no temporary file; the optimizer
     * file is written first and records a checksum of the guard file, so that a pair not written by
     * one call is refused on load. Without a guarded optimizer, an optimizer file of that name is
     * deleted.
     *
     * @param dir an existing directory
     * @param name the checkpoint name, a file name without separators
     * @return the guard state file written
     * @throws IOException naming the file if it cannot be written
     * @throws IllegalStateException where {@link #checkpoint()} refuses, or if the guarded
     *     optimizer's state cannot be saved (an optimizer other than DJL's Adam, AdamW, Sgd, Nag,
     *     RmsProp, Adagrad and Adadelta; DJL internals other than those of version 0.35.1), or if
     *     the trainer it updated was closed (save before {@code trainer.close()}); nothing is
     *     written then
     */
    public Path saveState(Path dir, String name) throws IOException {
        return CheckpointFiles.save(
                dir, name, checkpoint(), optimizerState, gate.optimizer(), runner.trainer());
    }

    /**
     * Reads {@code dir/name-gradguard.properties} and {@link #restore(GuardCheckpoint) restores}
     * it, then puts {@code dir/name-gradguard-optimizer.bin}, if present, into the guarded
     * optimizer as soon as the optimizer and the model's parameters exist (now, or at the first
     * training batch). A missing optimizer file is logged as a WARN when a guarded optimizer then
     * resumes without its state (checkpoints saved without a guarded optimizer have none). State is
     * matched to parameters by their names in the block: a parameter added since (a new head)
     * starts afresh, one renamed is refused, but one whose name and shape now belong to another
     * layer (a block inserted in front of it shifts the names) receives that layer's state. The
     * model's weights are checked against the state only through the float32 masters of float16
     * parameters: a float32 model's params file from another save than the state goes unnoticed, so
     * load the params file of the same save ({@code model.load(dir, name, Map.of("epoch", ...))}).
     *
     * @param dir the directory given to {@link #saveState}
     * @param name the checkpoint name given to {@link #saveState}
     * @throws IOException if a file cannot be read (for example {@code NoSuchFileException})
     * @throws InvalidCheckpointException if a file is empty, truncated, corrupt, of another format
     *     version, holds an invalid value or does not fit this listener, or the two files come from
     *     different saves; nothing is restored then. An optimizer state that does not fit the
     *     optimizer or the model (another optimizer kind, an unknown parameter, another shape or
     *     data type, a float32 master that does not round to its float16 weight: weights from
     *     another save) is refused here or at the first training batch
     * @throws IllegalStateException inside an accumulation window
     */
    public void loadState(Path dir, String name) throws IOException {
        CheckpointFiles.Loaded loaded = CheckpointFiles.load(dir, name);
        try {
            restore(loaded.checkpoint());
        } catch (InvalidCheckpointException e) {
            throw e;
        } catch (IllegalArgumentException e) {
            throw new InvalidCheckpointException(loaded.file(), e.getMessage(), e);
        }
        optimizerState = loaded.optimizer();
        optimizerState.applyWhenReady(gate.optimizer(), runner.trainer(), false);
    }

    /** {@inheritDoc} */
    @Override
    public void onTrainingBegin(Trainer trainer) {
        runner.begin(trainer, this);
    }

    /** {@inheritDoc} */
    @Override
    public void onTrainingBatch(Trainer trainer, BatchData batchData) {
        if (optimizerState.waiting()) {
            optimizerState.applyWhenReady(gate.optimizer(), trainer, true);
        }
        runner.onBatch(trainer, batchData, this);
    }

    /** {@inheritDoc} */
    @Override
    public void onEpoch(Trainer trainer) {
        runner.onEpoch(trainer);
    }

    /** {@inheritDoc} */
    @Override
    public void onTrainingEnd(Trainer trainer) {
        runner.end(trainer);
    }
}
