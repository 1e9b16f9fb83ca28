package io.gradguard;

import ai.djl.training.Trainer;
import ai.djl.training.listener.TrainingListener;
import ai.djl.training.listener.TrainingListenerAdapter;
import io.gradguard.clip.ClipStrategy;
import io.gradguard.clip.StatefulClipStrategy;
import io.gradguard.internal.AtomicFile;
import io.gradguard.scale.LossScaler;
import java.io.IOException;
import java.nio.file.Files;
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
 * <h2>Order of operations</h2>
 *
 * After backward ({@code EasyTrain.trainBatch}, with {@code loss * S} through {@link ScaledLoss}),
 * each batch is held (a micro-batch before the last of its accumulation window) or stepped: the
 * gradients are gathered, unscaled by {@code 1/S} and checked for NaN/inf in one pass, clipped on
 * the device with the window mean folded in, read in one transfer, and decided (apply, skip or
 * error) once; {@code Trainer.step()} then reaches the {@link GuardedOptimizer}, which acts on that
 * decision. The full order is written once, in the javadoc of the package's step runner ({@code
 * StepRunner}). At the end of an epoch an unfinished window is stepped with its own divisor.
 *
 * <h2>Which parameters are guarded</h2>
 *
 * As in PyTorch, the norm covers every parameter the optimizer will update: those that require a
 * gradient when the window ends. A parameter that the block lists under several names (one block
 * used twice: tied weights) is gathered, unscaled and clipped once, as DJL's parameter store
 * updates it once. Freezing and unfreezing on a live trainer ({@code freezeParameters}) are picked
 * up at the next batch by a host-only comparison (no device access, linear in the number of
 * parameters). Inside an accumulation window: a parameter unfrozen during the window joins it with
 * the gradients of the micro-batches since it was unfrozen, divided by the whole window's count; a
 * parameter frozen during the window leaves it, and its gradient is discarded (zeroed), so that no
 * stale gradient returns when it is unfrozen again.
 *
 * <h2>Data faults and overflows</h2>
 *
 * When the trainer's loss is a {@link ScaledLoss} (as {@link GradGuard#trainingConfig} installs
 * it), every loss value is also checked for NaN and infinity on the device, and read in the step's
 * single transfer. A step whose loss was non-finite (on any device, in any micro-batch of the
 * window) is a data fault: it is skipped under {@link NonFinitePolicy#SKIP_STEP}, throws under
 * {@link NonFinitePolicy#ERROR}, and leaves the loss scaler's state unchanged ({@link
 * LossScaler#recordDataFault()}). A step with a finite loss and non-finite gradients is an
 * overflow: skipped, and the scaler backs off as PyTorch's GradScaler does. Both count toward
 * {@code optMaxConsecutiveSkips}; {@link StepReport#dataFault()} and {@link
 * ClipStatistics#dataFaultSteps()} tell them apart.
 *
 * <p>Metrics written to {@code trainer.getMetrics()} when set: see {@link GuardMetrics}.
 *
 * <p>One listener guards one trainer at a time; it rebinds after the previous trainer closed. Its
 * counters and statistics start again then, while the loss scaler's state and a stateful strategy's
 * history carry over (restore a checkpoint to start from elsewhere).
 *
 * <h2>Checkpoints</h2>
 *
 * {@link #saveState(Path, String)} writes the listener's state (step and epoch counters,
 * consecutive skips, statistics, the loss scaler's scale, growth tracker and hysteresis counter,
 * and the state of a {@link StatefulClipStrategy}) beside DJL's {@code model.save(dir, name)};
 * {@link #loadState(Path, String)} reads it back, refusing a truncated, corrupt or foreign file.
 * Checkpoints are taken between optimizer steps only, never inside an accumulation window. To
 * resume: load the model's parameters before creating the trainer, then load this state before the
 * first resumed batch.
 *
 * <p>When the trainer's optimizer is a {@link GuardedOptimizer} wired to this listener (as {@link
 * GradGuard#trainingConfig} installs it), the same call also saves the state that DJL keeps in
 * memory and {@code model.save} drops: the wrapped optimizer's update counts and state arrays
 * (Adam's and AdamW's moments, SGD's and Nag's momentum, RmsProp's, Adagrad's and Adadelta's
 * accumulators) and the float32 master weights of float16 parameters, as raw bytes keyed by
 * parameter name and device, in a versioned, checksummed companion file. A run resumed from it
 * continues bit for bit as the uninterrupted run would have. That state is reached through private
 * fields of DJL's optimizers, pinned to DJL 0.35.1; an optimizer of any other class (a subclass
 * included) is refused by {@code saveState} with an {@link IllegalStateException} rather than saved
 * without its state.
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
    private GuardCheckpoint resumeCounters;
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
        restoreCounters(checkpoint);
        resumeCounters = runner.trainer() == null ? checkpoint : null;
    }

    /**
     * Writes {@link #checkpoint()} to {@code dir/name-gradguard.properties}, beside the {@code
     * name-NNNN.params} file of DJL's {@code model.save(dir, name)}, and, when the trainer's
     * optimizer is a {@link GuardedOptimizer} wired to this listener, the optimizer's state to
     * {@code dir/name-gradguard-optimizer.bin} (see the class comment). Each file is replaced
     * atomically through a temporary file of its own in {@code dir}: a crash or a concurrent save
     * to the same name leaves complete files and no temporary file; the optimizer file is written
     * first and records a checksum of the guard file, so that a pair not written by one call is
     * refused on load. Without a guarded optimizer, an optimizer file of that name is deleted.
     *
     * @param dir an existing directory
     * @param name the checkpoint name, a file name without separators
     * @return the guard state file written
     * @throws IOException naming the file if it cannot be written
     * @throws IllegalStateException where {@link #checkpoint()} refuses, or if the guarded
     *     optimizer's state cannot be saved (an optimizer other than DJL's Adam, AdamW, Sgd, Nag,
     *     RmsProp, Adagrad and Adadelta; DJL internals other than those of version 0.35.1); nothing
     *     is written then
     */
    public Path saveState(Path dir, String name) throws IOException {
        Path file = GuardStateFile.resolve(dir, name);
        byte[] guardState = GuardStateFile.bytes(checkpoint());
        optimizerState.save(
                gate.optimizer(),
                runner.trainer(),
                OptimizerStateFile.resolve(dir, name),
                OptimizerStateFile.crc(guardState));
        AtomicFile.write(file, guardState);
        return file;
    }

    /**
     * Reads {@code dir/name-gradguard.properties} and {@link #restore(GuardCheckpoint) restores}
     * it; reads {@code dir/name-gradguard-optimizer.bin} if present and puts it into the guarded
     * optimizer as soon as the optimizer and the model's parameters exist (now, or at the first
     * training batch). A missing optimizer file is not an error (checkpoints saved without a
     * guarded optimizer have none) but is logged as a WARN when a guarded optimizer then resumes
     * without its state.
     *
     * @param dir the directory given to {@link #saveState}
     * @param name the checkpoint name given to {@link #saveState}
     * @throws IOException if a file cannot be read (for example {@code NoSuchFileException})
     * @throws InvalidCheckpointException if a file is empty, truncated, corrupt, of another format
     *     version, holds an invalid value, does not fit this listener, or the two files come from
     *     different saves; nothing is restored then. The optimizer's state is checked against the
     *     optimizer and the model when it is put into the optimizer (an optimizer of another kind,
     *     a parameter the model does not have, another shape or data type): such a refusal is
     *     thrown by this method or at the first training batch, after the listener's own state was
     *     restored
     * @throws IllegalStateException inside an accumulation window
     */
    public void loadState(Path dir, String name) throws IOException {
        Path file = GuardStateFile.resolve(dir, name);
        byte[] guardState = Files.readAllBytes(file);
        GuardCheckpoint checkpoint = GuardStateFile.read(file, guardState);
        OptimizerCheckpoint loaded = new OptimizerCheckpoint();
        loaded.load(OptimizerStateFile.resolve(dir, name), OptimizerStateFile.crc(guardState));
        try {
            restore(checkpoint);
        } catch (InvalidCheckpointException e) {
            throw e;
        } catch (IllegalArgumentException e) {
            throw new InvalidCheckpointException(file, e.getMessage(), e);
        }
        optimizerState = loaded;
        optimizerState.applyWhenReady(gate.optimizer(), runner.trainer(), false);
    }

    private void restoreCounters(GuardCheckpoint c) {
        runner.counters().restore(c);
        publisher.restore(c.statistics());
    }

    /** {@inheritDoc} */
    @Override
    public void onTrainingBegin(Trainer trainer) {
        runner.begin(trainer, this);
        if (resumeCounters != null) {
            restoreCounters(resumeCounters);
            resumeCounters = null;
        }
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
