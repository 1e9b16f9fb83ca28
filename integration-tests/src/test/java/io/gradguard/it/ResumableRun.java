package io.gradguard.it;

import static org.testng.Assert.assertEquals;
import static org.testng.Assert.assertTrue;

import ai.djl.MalformedModelException;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.training.Trainer;
import ai.djl.training.dataset.Batch;
import ai.djl.training.loss.Loss;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.Tracker;
import io.gradguard.ClippingTrainingListener;
import io.gradguard.GradGuard;
import io.gradguard.GuardCheckpoint;
import io.gradguard.GuardedTraining;
import io.gradguard.StepReport;
import io.gradguard.clip.ClipStrategy;
import io.gradguard.scale.LossScaler;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * The stateful training run that the optimizer-state tests stop and resume on one engine: an 8-16-1
 * MLP ({@link TinyRegression}) in the engine's data type, micro-batches of 4 in windows of 2
 * (accumulation), global-norm clipping that fires, a dynamic loss scaler that grows every 4 clean
 * windows (so overflows recur, and steps are skipped mid-run), and a stateful optimizer (AdamW, or
 * SGD with momentum).
 *
 * <p>Overflows: in float16 they come by themselves (the loss is taken in float32, as mixed
 * precision does, but the scaled gradients of the large targets exceed float16's range at a scale
 * of {@code 2^16}, and the scale regrows every 4 clean windows); in float32 the {@link
 * InjectingLoss} overflows windows {@link #FLOAT32_FAULT_WINDOWS}.
 */
final class ResumableRun {

    static final int MICRO = 4;
    static final int WINDOW = 2;
    static final int EPOCHS = 3;
    static final Set<Integer> FLOAT32_FAULT_WINDOWS = Set.of(3, 4, 11, 17);
    static final String NAME = "ckpt";

    /** The optimizers the runs use (NAG and after: DJL's PyTorch engine lacks their updates). */
    enum Kind {
        ADAMW,
        SGD_MOMENTUM,
        NAG,
        RMSPROP_CENTERED,
        ADAGRAD,
        ADADELTA;

        Optimizer build() {
            return switch (this) {
                case ADAMW ->
                        Optimizer.adamW().optLearningRateTracker(Tracker.fixed(0.01f)).build();
                case SGD_MOMENTUM ->
                        Optimizer.sgd()
                                .setLearningRateTracker(Tracker.fixed(0.002f))
                                .optMomentum(0.9f)
                                .build();
                case NAG ->
                        Optimizer.nag()
                                .setLearningRateTracker(Tracker.fixed(0.002f))
                                .setMomentum(0.9f)
                                .build();
                case RMSPROP_CENTERED ->
                        Optimizer.rmsprop()
                                .optLearningRateTracker(Tracker.fixed(0.002f))
                                .optCentered(true)
                                .build();
                case ADAGRAD ->
                        Optimizer.adagrad().optLearningRateTracker(Tracker.fixed(0.01f)).build();
                case ADADELTA -> Optimizer.adadelta().build();
            };
        }
    }

    private final String engine;
    private final DataType dataType;

    /**
     * Describes the run.
     *
     * @param engine the engine name
     * @param dataType the parameters' data type: float16 trains through float32 master weights
     */
    ResumableRun(String engine, DataType dataType) {
        this.engine = engine;
        this.dataType = dataType;
    }

    String engineName() {
        return engine;
    }

    DataType dataType() {
        return dataType;
    }

    /** Optimizer steps in a whole run. */
    static int windows() {
        return EPOCHS * TinyRegression.SAMPLES / MICRO / WINDOW;
    }

    /** What a run leaves: weights, reports, the listener's state and its saved files' bytes. */
    record Outcome(
            List<float[]> weights,
            List<StepReport> reports,
            GuardCheckpoint state,
            byte[] guardFile,
            byte[] optimizerFile) {}

    ClippingTrainingListener guard(List<StepReport> reports) {
        return ClippingTrainingListener.builder()
                .setStrategy(ClipStrategy.globalNorm(3f))
                .optLossScaler(
                        LossScaler.dynamicBuilder()
                                .optInitialScale(dataType() == DataType.FLOAT16 ? 65536f : 1024f)
                                .optGrowthInterval(4)
                                .build())
                .optAccumulationSteps(WINDOW)
                .optReportConsumer(reports::add)
                .build();
    }

    /**
     * Trains windows {@code [from, windows())} stopping after window {@code stop} (exclusive) with
     * a save to {@code dir}; when {@code from > 0}, first restores from {@code dir} (model, then
     * listener state, before the trainer exists). At the end the state is saved to {@code end} and
     * its files returned.
     */
    Outcome segment(Kind kind, int from, int stop, Path dir, Path end) {
        List<StepReport> reports = new ArrayList<>();
        ClippingTrainingListener guard = guard(reports);
        InjectingLoss injecting = InjectingLoss.overflowing();
        Loss loss = dataType == DataType.FLOAT16 ? new Float32L2Loss() : injecting;
        try (TinyRegression problem = new TinyRegression(engineName(), 51, dataType())) {
            if (from > 0) {
                problem.model().load(dir, NAME);
                guard.loadState(dir, NAME);
            }
            try (Trainer trainer =
                            problem.newTrainer(
                                    GradGuard.trainingConfig(loss, kind.build(), guard), 51);
                    NDManager manager = trainer.getManager().newSubManager()) {
                List<Batch> micro = problem.explicitBatches(manager, MICRO, EPOCHS);
                int perEpoch = TinyRegression.SAMPLES / MICRO;
                for (int i = from * WINDOW; i < stop * WINDOW; i++) {
                    injecting.arm(FLOAT32_FAULT_WINDOWS.contains(i / WINDOW));
                    GuardedTraining.trainBatch(trainer, micro.get(i));
                    GuardedTraining.step(trainer, guard);
                    if ((i + 1) % perEpoch == 0) {
                        trainer.notifyListeners(listener -> listener.onEpoch(trainer));
                    }
                }
                Path target = stop < windows() ? dir : end;
                problem.model().save(target, NAME);
                guard.saveState(target, NAME);
                return new Outcome(
                        problem.weights(),
                        reports,
                        guard.checkpoint(),
                        Files.readAllBytes(target.resolve(NAME + "-gradguard.properties")),
                        Files.readAllBytes(target.resolve(NAME + "-gradguard-optimizer.bin")));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (MalformedModelException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * DJL's L2 loss, {@code mean((label - prediction)^2 / 2)}, taken in float32 whatever the
     * predictions' data type: the float32 labels promote the difference (DJL's {@code toType} on
     * PyTorch would cut the autograd graph).
     */
    static final class Float32L2Loss extends Loss {

        Float32L2Loss() {
            super("L2Loss");
        }

        @Override
        public NDArray evaluate(NDList labels, NDList predictions) {
            NDArray label = labels.singletonOrThrow().toType(DataType.FLOAT32, false);
            return label.sub(predictions.singletonOrThrow()).square().mul(0.5f).mean();
        }
    }

    /** Runs all windows without a stop. */
    Outcome whole(Kind kind) throws IOException {
        Path end = Files.createTempDirectory("gradguard-whole");
        try {
            return segment(kind, 0, windows(), null, end);
        } finally {
            ResumeKit.deleteAll(end);
        }
    }

    /**
     * Asserts that a resumed run ended exactly as the uninterrupted one: every weight bit, the step
     * reports after the stop, the listener's state, and the bytes of both saved files (the
     * optimizer file holds the moments, update counts and master weights).
     */
    static void assertSameEnd(Outcome resumed, Outcome whole, int stop, String reproduce) {
        ClippingEndToEndKit.assertBitIdentical(resumed.weights(), whole.weights());
        assertEquals(
                resumed.reports(),
                whole.reports().subList(stop, whole.reports().size()),
                reproduce);
        assertEquals(resumed.state(), whole.state(), reproduce);
        assertEquals(resumed.guardFile(), whole.guardFile(), reproduce);
        assertTrue(
                java.util.Arrays.equals(resumed.optimizerFile(), whole.optimizerFile()),
                "optimizer state files differ: " + reproduce);
    }
}
