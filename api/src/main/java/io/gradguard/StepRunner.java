package io.gradguard;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.Trainer;
import ai.djl.training.dataset.Batch;
import ai.djl.training.listener.TrainingListener.BatchData;
import io.gradguard.clip.NonFiniteGradientException;
import io.gradguard.internal.GlobalNormBound;
import io.gradguard.internal.TrackedScale;
import io.gradguard.scale.LossScaler;

/**
 * The one owner of the guarded step: window counting, binding to the trainer, and the step itself,
 * decided once per optimizer step in a {@link StepDecision} that the {@link GuardedOptimizer}
 * receives through the {@link StepGate}.
 *
 * <h2>Order of operations</h2>
 *
 * DJL's {@code EasyTrain.trainBatch} runs forward, {@code loss * S} (through {@link ScaledLoss},
 * which also records on the device whether the loss was finite) and backward, then calls the
 * listener's {@code onTrainingBatch}; {@code Trainer.step()} follows and reaches the {@link
 * GuardedOptimizer}. For each batch:
 *
 * <ol>
 *   <li>refuse a batch whose previous step was never taken; pick up freezing and unfreezing;
 *   <li>count the micro-batch: before the last one of an accumulation window, decide HOLD (no
 *       update, gradients kept) and stop;
 *   <li>gather the gradients of the trainable parameters, each distinct array once, summed over
 *       devices onto the first device (other copies zeroed);
 *   <li>with a loss scaler, unscale by {@code 1/S} and check for NaN/inf in one pass (and check the
 *       unscaled values again when {@code 1/S > 1}); otherwise, unless the policy is PROPAGATE,
 *       only check;
 *   <li>clip with the strategy, on the device, the window's mean {@code 1/n} folded into the
 *       coefficient;
 *   <li>pack {@code [norm, coef, clipped, flag, loss flag]} and read it in one transfer when a
 *       decision or a report needs it;
 *   <li>decide ({@link StepDecision#of}), update the loss scale once (a data fault leaves it
 *       alone), publish the {@link StepReport}, and declare divergence after too many skips.
 * </ol>
 *
 * With a global-norm strategy, steps 4 to 6 are one {@link
 * io.gradguard.spi.GradientOps#globalNormStep} call (one native call on PyTorch), unless the policy
 * is ERROR or an observer wants per-parameter norms. At the end of an epoch an unfinished window is
 * stepped with its own divisor. Every array a step creates lives in a sub-manager of the trainer's
 * manager closed before the step returns.
 */
final class StepRunner {

    private final GuardSettings settings;
    private final StepGate gate;
    private final ReportPublisher publisher;
    private final StepCounters counters = new StepCounters();

    private Trainer trainer;
    private GuardBinding binding;
    private LossFaultRecorder faultRecorder;
    private Batch lastBatch;
    private GuardCheckpoint pendingResume;
    private boolean floorAlerted;
    private boolean float32ScalingWarned;

    StepRunner(GuardSettings settings, StepGate gate, ReportPublisher publisher) {
        this.settings = settings;
        this.gate = gate;
        this.publisher = publisher;
    }

    StepCounters counters() {
        return counters;
    }

    Trainer trainer() {
        return trainer;
    }

    /**
     * Starts guarding {@code next}: checks, fresh counters, the loss recorder. {@code owner} is the
     * guard this runner belongs to, compared by identity with the guards registered on {@code
     * next}.
     */
    void begin(Trainer next, Object owner) {
        if (trainer != null && trainer != next && trainer.getManager().isOpen()) {
            throw new IllegalStateException(
                    "This ClippingTrainingListener already guards another trainer that is still"
                            + " open; build one listener per trainer.");
        }
        GuardChecks.checkSingleGuard(next, owner);
        GuardChecks.checkDataType(next);
        release();
        trainer = next;
        if (settings.scaler() instanceof TrackedScale tracked) {
            tracked.clearWiringError();
        }
        if (next.getLoss() instanceof ScaledLoss scaled) {
            if (scaled.pairedOptimizer() != null) {
                gate.attachOptimizer(scaled.pairedOptimizer());
            }
            faultRecorder = new LossFaultRecorder(next.getManager(), next.getDevices()[0]);
            scaled.recordFaultsInto(faultRecorder);
        }
        floorAlerted = false;
        counters.reset();
        publisher.reset();
        gate.decide(StepDecision.UNREAD);
        if (pendingResume != null) {
            restoreCounters(pendingResume);
        }
    }

    /**
     * Restores the counters and statistics of a checkpoint; restored before any trainer is bound,
     * they are restored again when the next trainer begins, whose binding resets them.
     */
    void restoreCounters(GuardCheckpoint checkpoint) {
        counters.restore(checkpoint);
        publisher.restore(checkpoint.statistics());
        pendingResume = trainer == null ? checkpoint : null;
    }

    /** Runs one training batch's part of the step (see the class comment). */
    void onBatch(Trainer current, BatchData batchData, Object owner) {
        if (trainer == null) {
            begin(current, owner);
        } else if (trainer != current) {
            throw new IllegalStateException(
                    "This ClippingTrainingListener guards another trainer; build one listener per"
                            + " trainer.");
        }
        if (binding == null) {
            binding = GuardBinding.bind(settings, gate, trainer);
            if (!float32ScalingWarned) {
                float32ScalingWarned =
                        GuardChecks.warnScalingFloat32(settings, binding.parameters());
            }
        }
        if (counters.stepExpected && gate.updateCalls() == counters.updatesAtLastBatch) {
            throw new IllegalStateException(GuardChecks.STEP_NOT_CALLED);
        }
        counters.stepExpected = false;
        binding.refresh();
        counters.batchesSeen++;
        lastBatch = batchData == null ? null : batchData.getBatch();
        counters.microInWindow++;
        if (counters.microInWindow < settings.accumulationSteps()) {
            hold();
        } else {
            finishWindow(counters.batchInEpoch);
        }
        counters.batchInEpoch++;
        counters.updatesAtLastBatch = gate.updateCalls();
        counters.stepExpected = gate.optimizerAttached() && binding.parameters().size() > 0;
    }

    /** Steps an unfinished window at the end of an epoch. */
    void onEpoch(Trainer current) {
        if (counters.microInWindow > 0 && binding != null) {
            // The window's last batch, already counted in this epoch, is the one before.
            finishWindow(Math.max(0, counters.batchInEpoch - 1));
            current.step();
        }
        publisher.epochEnded(counters.epoch);
        counters.epoch++;
        counters.batchInEpoch = 0;
    }

    /** Stops guarding the trainer and frees what the run held. */
    void end(Trainer current) {
        publisher.trainingEnded(current);
        release();
        if (settings.scaler() instanceof TrackedScale tracked) {
            tracked.releaseDeviceScalars();
        }
        trainer = null;
    }

    /** Returns whether a batch was processed whose {@code Trainer.step()} has not run yet. */
    boolean stepPending() {
        return gate.optimizerAttached()
                && counters.batchesSeen > 0
                && gate.updateCalls() == counters.updatesAtLastBatch;
    }

    private void hold() {
        AccumulationBuffer buffer = binding.buffer();
        if (buffer != null) {
            try (NDManager scope = binding.newScope()) {
                StepPipeline pipeline = new StepPipeline(scope, binding.ops());
                if (pipeline.gather(binding.parameters())) {
                    buffer.add(pipeline.ids(), pipeline.gradients());
                }
            }
        }
        gate.decide(StepDecision.HOLD);
    }

    /** Steps the window whose last batch has index {@code batchIndex} in the epoch. */
    private void finishWindow(long batchIndex) {
        int microBatches = counters.microInWindow;
        counters.microInWindow = 0;
        LossScaler scaler = settings.scaler();
        float scaleUsed = scaler.isEnabled() ? scaler.scale() : 1f;
        try (NDManager scope = binding.newScope()) {
            StepPipeline pipeline = new StepPipeline(scope, binding.ops());
            pipeline.takeLossFlag(faultRecorder);
            if (!pipeline.gather(binding.parameters())) {
                gate.decide(StepDecision.NOTHING_TO_GUARD);
                return;
            }
            if (binding.buffer() != null) {
                binding.buffer().drainInto(pipeline.ids(), pipeline.gradients());
            }
            runDeviceWork(pipeline, scaler, microBatches);
            NDArray packed = pipeline.pack();
            if (!pipeline.hasFlag() && !publisher.readsEveryStep()) {
                gate.decide(StepDecision.UNREAD);
                publisher.defer(
                        packed, counters.step, counters.epoch, batchIndex, scaleUsed, microBatches);
            } else {
                decide(pipeline, packed.toFloatArray(), batchIndex, scaleUsed, microBatches);
            }
        } finally {
            counters.step++;
        }
        GuardChecks.checkDivergence(counters.consecutiveSkips, settings, gate.decision());
    }

    /**
     * Steps 4 and 5 of the class comment: in one ops call for a global-norm strategy when neither
     * per-parameter flags nor per-parameter norms are needed, otherwise call by call.
     */
    private void runDeviceWork(StepPipeline pipeline, LossScaler scaler, int microBatches) {
        boolean check = settings.policy() != NonFinitePolicy.PROPAGATE;
        if (settings.strategy() instanceof GlobalNormBound bound
                && settings.policy() != NonFinitePolicy.ERROR
                && !publisher.wantsParameterNorms()) {
            pipeline.clipGlobalNorm(bound, scaler, check, microBatches);
            return;
        }
        if (scaler.isEnabled()) {
            pipeline.unscaleAndCheck(scaler);
        } else if (check) {
            pipeline.check();
        }
        if (settings.policy() == NonFinitePolicy.ERROR) {
            pipeline.locateNonFinite();
        }
        if (publisher.wantsParameterNorms()) {
            pipeline.measurePerParameter(microBatches);
        }
        pipeline.clip(settings.strategy(), microBatches, counters.step);
    }

    private void decide(
            StepPipeline pipeline,
            float[] values,
            long batchIndex,
            float scaleUsed,
            int microBatches) {
        StepMeasurement m = StepMeasurement.of(values, pipeline.hasFlag());
        StepDecision decision = StepDecision.of(m, settings.policy());
        gate.decide(decision);
        if (decision.action() == StepDecision.Action.ERROR) {
            throw new NonFiniteGradientException(
                    GuardChecks.nonFiniteMessage(
                            counters.step, m.dataFault(), pipeline.nonFiniteNames(values)));
        }
        boolean skip = decision.action() == StepDecision.Action.SKIP;
        counters.consecutiveSkips = skip ? counters.consecutiveSkips + 1 : 0;
        LossScaler scaler = settings.scaler();
        switch (decision.reason()) {
            case DATA_FAULT -> scaler.recordDataFault();
            case OVERFLOW, CLEAN -> {
                if (scaler.isEnabled()) {
                    scaler.update(m.nonFinite());
                    checkScaleFloor();
                }
            }
            case ACCUMULATING, NO_GRADIENTS -> {
                // Not reached: such steps are decided without a measurement.
            }
        }
        StepReport report =
                new StepReport(
                        counters.step,
                        counters.epoch,
                        batchIndex,
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

    /** Warns and raises an alert once when the dynamic scale reaches its floor. */
    private void checkScaleFloor() {
        boolean atFloor = settings.scaler() instanceof TrackedScale tracked && tracked.atFloor();
        if (atFloor && !floorAlerted) {
            publisher.alert(GuardChecks.scaleFloorAlert(counters.step, settings.scaler().scale()));
        }
        floorAlerted = atFloor;
    }

    private void release() {
        if (binding != null) {
            binding.close();
            binding = null;
        }
        if (faultRecorder != null) {
            if (trainer != null && trainer.getLoss() instanceof ScaledLoss scaled) {
                scaled.recordFaultsInto(null);
            }
            faultRecorder.close();
            faultRecorder = null;
        }
    }
}
