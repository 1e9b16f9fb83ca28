package io.gradguard;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.Trainer;
import ai.djl.training.dataset.Batch;
import ai.djl.training.listener.TrainingListener;
import ai.djl.training.listener.TrainingListenerAdapter;
import io.gradguard.internal.TrainableParameters;
import io.gradguard.internal.TrainerFlags;
import io.gradguard.spi.GradientOps;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
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
 * DJL's {@code EasyTrain.trainBatch} runs forward, {@code loss * S} (through {@link ScaledLoss})
 * and backward, then calls {@link #onTrainingBatch}; {@code Trainer.step()} follows and reaches the
 * {@link GuardedOptimizer}. For each batch this listener:
 *
 * <ol>
 *   <li>counts the micro-batch; before the last micro-batch of an accumulation window it tells the
 *       optimizer to hold (no update, gradients kept) and returns;
 *   <li>collects the gradients of the trainable parameters (frozen ones and ones without a gradient
 *       are left out), summing each over the training devices onto the first device and zeroing the
 *       other copies, so the norm is that of the gradient the optimizer will use: {@code sqrt(sum_p
 *       ||sum_d g_pd||^2)};
 *   <li>with a loss scaler, multiplies by {@code 1/S} and checks for NaN/inf in one pass; with
 *       {@link NonFinitePolicy#SKIP_STEP} or {@code ERROR} and no scaler, only checks;
 *   <li>applies the {@link ClipStrategy} in place, on the device, with the window's mean ({@code
 *       1/n}) folded into the coefficient, so thresholds are in true-gradient units;
 *   <li>reads the step's values in one transfer when needed (a skip decision, statistics, metrics,
 *       observers; see {@link ReportMode}), decides apply, skip or error, updates the loss scale
 *       once, and publishes a {@link StepReport}.
 * </ol>
 *
 * At the end of an epoch an unfinished accumulation window is stepped with its own divisor. Every
 * array a step creates lives in a sub-manager of the trainer's manager closed before the step
 * returns.
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
 * <p>Metrics written to {@code trainer.getMetrics()} when set: {@value #METRIC_NORM}, {@value
 * #METRIC_COEFFICIENT}, {@value #METRIC_LOSS_SCALE}, {@value #METRIC_SKIPPED}, {@value
 * #METRIC_THRESHOLD}.
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
 * <pre>{@code
 * model.save(dir, "run");                 guard.saveState(dir, "run");
 * // later, in a new process:
 * model.load(dir, "run");                 guard.loadState(dir, "run");
 * Trainer trainer = model.newTrainer(GradGuard.trainingConfig(loss, optimizer, guard));
 * }</pre>
 */
public final class ClippingTrainingListener extends TrainingListenerAdapter {

    /** Metric: the pre-clip total gradient norm, once per optimizer step. */
    public static final String METRIC_NORM = "gradient_norm";

    /** Metric: the clip coefficient, once per optimizer step. */
    public static final String METRIC_COEFFICIENT = "gradient_clip_coefficient";

    /** Metric: the loss scale used for the step. */
    public static final String METRIC_LOSS_SCALE = "loss_scale";

    /** Metric: the number of skipped optimizer steps so far. */
    public static final String METRIC_SKIPPED = "skipped_steps";

    /** Metric: the strategy's threshold at the step (infinite when it does not clip). */
    public static final String METRIC_THRESHOLD = "gradient_clip_threshold";

    private final GuardSettings settings;
    private final StepGate gate = new StepGate();
    private final ReportPublisher publisher;

    private Trainer trainer;
    private TrainableParameters parameters;
    private GradientOps ops;
    private AccumulationBuffer buffer;
    private int microInWindow;
    private long step;
    private int epoch;
    private long batchInEpoch;
    private long batchesSeen;
    private int consecutiveSkips;
    private Batch lastBatch;
    private long updatesAtLastBatch;
    private boolean stepExpected;
    private GuardCheckpoint resumeCounters;
    private LossFaultRecorder faultRecorder;
    private boolean floorAlerted;

    ClippingTrainingListener(GuardSettings settings) {
        this.settings = settings;
        this.publisher = new ReportPublisher(settings);
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
        return publisher.lastReport(trainer);
    }

    /**
     * Returns the number of optimizer steps (applied or skipped) so far.
     *
     * @return the step counter
     */
    public long getStepCount() {
        return step;
    }

    /**
     * Returns whether the next {@code Trainer.step()} will update the weights (as opposed to
     * holding an accumulation micro-step or skipping a non-finite step).
     *
     * @return whether the pending step applies
     */
    public boolean isPendingStepApplied() {
        return gate.decision() == StepGate.Decision.APPLY;
    }

    StepGate gate() {
        return gate;
    }

    /** Returns whether this guard skips or refuses non-finite steps itself. */
    boolean handlesNonFiniteSteps() {
        return settings.policy() != NonFinitePolicy.PROPAGATE;
    }

    /**
     * Returns a snapshot of this listener's training state. With {@link ReportMode#ON_DEMAND}, a
     * report not yet read is read first (one synchronization) so that the statistics are complete.
     *
     * @return the state
     * @throws IllegalStateException inside an accumulation window, or after a batch whose {@code
     *     Trainer.step()} has not run yet
     */
    public GuardCheckpoint checkpoint() {
        boolean stepPending =
                gate.optimizerAttached()
                        && batchesSeen > 0
                        && gate.updateCalls() == updatesAtLastBatch;
        CheckpointRules.checkBoundary(microInWindow, settings.accumulationSteps(), stepPending);
        publisher.lastReport(trainer);
        return new GuardCheckpoint(
                step,
                epoch,
                batchInEpoch,
                consecutiveSkips,
                settings.accumulationSteps(),
                settings.policy(),
                settings.strategy().toString(),
                settings.strategy().getClass().getName(),
                CheckpointRules.strategyState(settings.strategy()),
                GuardCheckpoint.kindOf(settings.scaler()),
                settings.scaler().state(),
                publisher.statistics());
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
        CheckpointRules.checkBoundary(microInWindow, settings.accumulationSteps(), false);
        CheckpointRules.restoreComponents(settings, checkpoint);
        restoreCounters(checkpoint);
        resumeCounters = trainer == null ? checkpoint : null;
    }

    /**
     * Writes {@link #checkpoint()} to {@code dir/name-gradguard.properties}, beside the {@code
     * name-NNNN.params} file of DJL's {@code model.save(dir, name)}. The file is replaced
     * atomically through a temporary file of its own in {@code dir}: a crash or a concurrent save
     * to the same name leaves one complete checkpoint, the previous one or a new one, and no
     * temporary file.
     *
     * @param dir an existing directory
     * @param name the checkpoint name, a file name without separators
     * @return the file written
     * @throws IOException naming the file if it cannot be written
     * @throws IllegalStateException where {@link #checkpoint()} refuses
     */
    public Path saveState(Path dir, String name) throws IOException {
        Path file = GuardStateFile.resolve(dir, name);
        GuardStateFile.write(checkpoint(), file);
        return file;
    }

    /**
     * Reads {@code dir/name-gradguard.properties} and {@link #restore(GuardCheckpoint) restores}
     * it.
     *
     * @param dir the directory given to {@link #saveState}
     * @param name the checkpoint name given to {@link #saveState}
     * @throws IOException if the file cannot be read (for example {@code NoSuchFileException})
     * @throws InvalidCheckpointException if the file is empty, truncated, corrupt, of another
     *     format version, holds an invalid value, or does not fit this listener; nothing is
     *     restored then
     * @throws IllegalStateException inside an accumulation window
     */
    public void loadState(Path dir, String name) throws IOException {
        Path file = GuardStateFile.resolve(dir, name);
        GuardCheckpoint checkpoint = GuardStateFile.read(file);
        try {
            restore(checkpoint);
        } catch (InvalidCheckpointException e) {
            throw e;
        } catch (IllegalArgumentException e) {
            throw new InvalidCheckpointException(file, e.getMessage(), e);
        }
    }

    private void restoreCounters(GuardCheckpoint c) {
        step = c.step();
        epoch = c.epoch();
        batchInEpoch = c.batchInEpoch();
        consecutiveSkips = c.consecutiveSkips();
        publisher.restore(c.statistics());
    }

    /** {@inheritDoc} */
    @Override
    public void onTrainingBegin(Trainer trainer) {
        if (this.trainer != null && this.trainer != trainer && this.trainer.getManager().isOpen()) {
            throw new IllegalStateException(
                    "This ClippingTrainingListener already guards another trainer that is still"
                            + " open; build one listener per trainer.");
        }
        GuardChecks.checkSingleGuard(trainer, this);
        GuardChecks.checkDataType(trainer);
        this.trainer = trainer;
        parameters = null;
        closeBuffer();
        closeFaultRecorder();
        if (settings.scaler() instanceof TrackedLossScaler tracked) {
            tracked.clearWiringError();
        }
        if (trainer.getLoss() instanceof ScaledLoss scaled) {
            faultRecorder = new LossFaultRecorder(trainer.getManager(), trainer.getDevices()[0]);
            scaled.recordFaultsInto(faultRecorder);
        }
        floorAlerted = false;
        microInWindow = 0;
        step = 0;
        epoch = 0;
        batchInEpoch = 0;
        batchesSeen = 0;
        stepExpected = false;
        consecutiveSkips = 0;
        publisher.reset();
        gate.decide(StepGate.Decision.APPLY);
        if (resumeCounters != null) {
            restoreCounters(resumeCounters);
            resumeCounters = null;
        }
    }

    /** {@inheritDoc} */
    @Override
    public void onTrainingBatch(Trainer trainer, BatchData batchData) {
        bind(trainer);
        if (stepExpected && gate.updateCalls() == updatesAtLastBatch) {
            throw new IllegalStateException(GuardChecks.STEP_NOT_CALLED);
        }
        stepExpected = false;
        refreshParameters();
        batchesSeen++;
        lastBatch = batchData == null ? null : batchData.getBatch();
        microInWindow++;
        if (microInWindow < settings.accumulationSteps()) {
            if (buffer != null) {
                try (NDManager scope = newScope()) {
                    StepPipeline pipeline = new StepPipeline(scope, ops);
                    if (pipeline.gather(parameters)) {
                        buffer.add(pipeline.ids(), pipeline.gradients());
                    }
                }
            }
            gate.decide(StepGate.Decision.HOLD);
        } else {
            finishWindow();
        }
        batchInEpoch++;
        updatesAtLastBatch = gate.updateCalls();
        stepExpected = gate.optimizerAttached() && parameters.size() > 0;
    }

    /** {@inheritDoc} */
    @Override
    public void onEpoch(Trainer trainer) {
        if (microInWindow > 0 && parameters != null) {
            batchInEpoch = Math.max(0, batchInEpoch - 1);
            finishWindow();
            trainer.step();
        }
        publisher.epochEnded(epoch);
        epoch++;
        batchInEpoch = 0;
    }

    /** {@inheritDoc} */
    @Override
    public void onTrainingEnd(Trainer trainer) {
        publisher.trainingEnded(trainer);
        closeBuffer();
        closeFaultRecorder();
        if (settings.scaler() instanceof TrackedLossScaler tracked) {
            tracked.releaseDeviceScalars();
        }
        this.trainer = null;
        this.parameters = null;
    }

    private void finishWindow() {
        int microBatches = microInWindow;
        microInWindow = 0;
        LossScaler scaler = settings.scaler();
        float scaleUsed = scaler.isEnabled() ? scaler.scale() : 1f;
        try (NDManager scope = newScope()) {
            StepPipeline pipeline = new StepPipeline(scope, ops);
            pipeline.takeLossFlag(faultRecorder);
            if (!pipeline.gather(parameters)) {
                gate.decide(StepGate.Decision.APPLY);
                return;
            }
            if (buffer != null) {
                buffer.drainInto(pipeline.ids(), pipeline.gradients());
            }
            if (scaler.isEnabled()) {
                pipeline.unscaleAndCheck(scaler);
            } else if (settings.policy() != NonFinitePolicy.PROPAGATE) {
                pipeline.check();
            }
            if (settings.policy() == NonFinitePolicy.ERROR) {
                pipeline.locateNonFinite();
            }
            if (publisher.wantsParameterNorms()) {
                pipeline.measurePerParameter(microBatches);
            }
            pipeline.clip(settings.strategy(), microBatches, step);
            NDArray packed = pipeline.pack();
            boolean mustRead = pipeline.hasFlag() || publisher.readsEveryStep();
            if (!mustRead) {
                gate.decide(StepGate.Decision.APPLY);
                publisher.defer(packed, step, epoch, batchInEpoch, scaleUsed, microBatches);
            } else {
                float[] values = packed.toFloatArray();
                StepMeasurement m = StepMeasurement.of(values, pipeline.hasFlag());
                if (m.nonFinite() && settings.policy() == NonFinitePolicy.ERROR) {
                    gate.decide(StepGate.Decision.SKIP);
                    throw new NonFiniteGradientException(
                            GuardChecks.nonFiniteMessage(
                                    step, m.dataFault(), pipeline.nonFiniteNames(values)));
                }
                boolean skip = m.nonFinite() && settings.policy() == NonFinitePolicy.SKIP_STEP;
                gate.decide(skip ? StepGate.Decision.SKIP : StepGate.Decision.APPLY);
                consecutiveSkips = skip ? consecutiveSkips + 1 : 0;
                if (m.dataFault()) {
                    scaler.recordDataFault();
                } else if (scaler.isEnabled()) {
                    scaler.update(m.nonFinite());
                    checkScaleFloor();
                }
                StepReport report =
                        new StepReport(
                                step,
                                epoch,
                                batchInEpoch,
                                m.totalNorm(),
                                m.coefficient(),
                                m.clipped() && !skip,
                                scaleUsed,
                                m.nonFinite(),
                                skip,
                                microBatches,
                                m.dataFault());
                publisher.publish(trainer, report, pipeline, lastBatch);
            }
        } finally {
            step++;
        }
        GuardChecks.checkDivergence(consecutiveSkips, settings, gate.decision());
    }

    /** Warns and raises an alert once when the dynamic scale reaches its floor. */
    private void checkScaleFloor() {
        boolean atFloor =
                settings.scaler() instanceof TrackedLossScaler tracked && tracked.atFloor();
        if (atFloor && !floorAlerted) {
            publisher.alert(GuardChecks.scaleFloorAlert(step, settings.scaler().scale()));
        }
        floorAlerted = atFloor;
    }

    /**
     * Picks up freezing and unfreezing: a host-only comparison per batch, a new snapshot when the
     * trainable set changed. Parameters that left the set have their gradients zeroed, so that a
     * stale gradient never returns when they are unfrozen again.
     */
    private void refreshParameters() {
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
        useParameters(next);
    }

    private NDManager newScope() {
        NDManager scope = trainer.getManager().newSubManager();
        scope.setName("gradguard-step");
        return scope;
    }

    private void bind(Trainer trainer) {
        if (this.trainer == null) {
            onTrainingBegin(trainer);
        } else if (this.trainer != trainer) {
            throw new IllegalStateException(
                    "This ClippingTrainingListener guards another trainer; build one listener per"
                            + " trainer.");
        }
        if (parameters != null) {
            return;
        }
        GuardChecks.checkWiring(trainer, settings, gate);
        GuardChecks.checkDataType(trainer);
        TrainableParameters first = TrainableParameters.of(trainer);
        if (first.size() == 0) {
            throw new IllegalStateException(
                    "The model has no trainable parameters: every parameter is frozen or"
                            + " uninitialized, so there is nothing to guard. Unfreeze some"
                            + " parameters (Parameter.freeze(false)) before training.");
        }
        ops =
                settings.ops() != null
                        ? settings.ops()
                        : GradientOps.forEngine(trainer.getManager().getEngine());
        useParameters(first);
        TrainerFlags.markGradientsChecked(trainer);
    }

    private void useParameters(TrainableParameters next) {
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

    private void closeFaultRecorder() {
        if (faultRecorder != null) {
            if (trainer != null && trainer.getLoss() instanceof ScaledLoss scaled) {
                scaled.recordFaultsInto(null);
            }
            faultRecorder.close();
            faultRecorder = null;
        }
    }

    private void closeBuffer() {
        if (buffer != null) {
            buffer.close();
            buffer = null;
        }
    }

    /** When step reports are read back from the device. */
    public enum ReportMode {
        /** Read each step's norm, coefficient and flags in one transfer at the end of the step. */
        EVERY_STEP,
        /**
         * Read only when a decision needs it (a loss scaler or a skip/error policy makes one read
         * per step regardless) or when {@link #getLastReport()} is called; statistics, metrics and
         * observers then see only the steps that were read.
         */
        ON_DEMAND
    }
}
