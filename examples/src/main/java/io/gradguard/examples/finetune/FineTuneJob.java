package io.gradguard.examples.finetune;

import ai.djl.Device;
import ai.djl.MalformedModelException;
import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.core.Linear;
import ai.djl.training.DefaultTrainingConfig;
import ai.djl.training.EasyTrain;
import ai.djl.training.Trainer;
import ai.djl.training.listener.TrainingListenerAdapter;
import ai.djl.training.loss.Loss;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.Tracker;
import ai.djl.util.Pair;
import ai.djl.util.Utils;
import io.gradguard.ClippingTrainingListener;
import io.gradguard.GradGuard;
import io.gradguard.GuardedOptimizer;
import io.gradguard.MixedPrecision;
import io.gradguard.StepReport;
import io.gradguard.clip.ClipStrategy;
import io.gradguard.scale.LossScaler;
import java.io.IOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The fine-tuning job: the pretrained backbone loaded from disk, a new head, float16 on PyTorch
 * with float32 masters from the checkpoint's values ({@link MixedPrecision#toFloat16}), the
 * gradual-unfreezing {@link Phase schedule} on one trainer, global-norm clipping, a checkpoint
 * every K steps ({@code model.save} and {@code ClippingTrainingListener.saveState}) and resume from
 * the last one.
 */
final class FineTuneJob {

    /** Samples of the synthetic data set. */
    static final int SAMPLES = 2048;

    private static final Loss TRUE_LOSS = Loss.l2Loss();

    /** Sees each guarded batch after the guard, before {@code Trainer.step()}; for tests. */
    interface StepProbe {
        /**
         * Called after the guard processed a batch.
         *
         * @param trainer the trainer, its gradients unscaled and clipped
         * @param report the guard's report of this step
         */
        void afterGuard(Trainer trainer, StepReport report);
    }

    private FineTuneJob() {}

    /**
     * Runs the job.
     *
     * @param settings what to run
     * @param probe called at every step after the guard, or {@code null}
     * @return the steps run and the final weights
     * @throws IOException if a model or checkpoint cannot be read or written
     * @throws MalformedModelException if a saved model is corrupt
     * @throws IllegalStateException if {@code resume} finds no consistent checkpoint
     */
    static FineTuneResult run(FineTuneSettings settings, StepProbe probe)
            throws IOException, MalformedModelException {
        FineTuneData data = new FineTuneData(settings.seed(), SAMPLES);
        boolean pretrainedNow =
                Backbone.ensurePretrained(
                        settings.engine(), settings.pretrained(), data, settings.seed());
        SequentialBlock backbone = Backbone.block();
        Linear head = Linear.builder().setUnits(1).build();
        head.setInitializer(new SeededInitializer(settings.seed() + 1), Parameter.Type.WEIGHT);
        ClippingTrainingListener guard =
                ClippingTrainingListener.builder()
                        .setStrategy(ClipStrategy.globalNorm(settings.maxNorm()))
                        .optLossScaler(
                                settings.float16() ? LossScaler.dynamic() : LossScaler.none())
                        .build();
        List<StepRecord> steps = new ArrayList<>();
        try (Model model = Model.newInstance("finetune", Device.cpu(), settings.engine())) {
            long first = load(model, settings, backbone, head);
            StepListener recorder = new StepListener(guard, probe);
            DefaultTrainingConfig config =
                    GradGuard.trainingConfig(TRUE_LOSS, optimizer(settings), guard)
                            .addTrainingListeners(recorder);
            try (Trainer trainer = model.newTrainer(config)) {
                trainer.initialize(new Shape(settings.batchSize(), FineTuneData.FEATURES));
                if (settings.float16()) {
                    MixedPrecision.toFloat16(trainer);
                }
                if (settings.resume()) {
                    guard.loadState(settings.checkpoints(), FineTuneSettings.CHECKPOINT);
                    checkConsistent(guard, first);
                }
                long last = settings.totalSteps();
                if (settings.stopAfter() > 0) {
                    last = Math.min(last, settings.stopAfter());
                }
                DataType type = settings.float16() ? DataType.FLOAT16 : DataType.FLOAT32;
                Phase current = null;
                for (long step = first; step < last; step++) {
                    Phase phase = Phase.at(step, settings.stepsPerPhase());
                    if (phase != current) {
                        phase.apply(backbone);
                        current = phase;
                    }
                    try (NDManager scope = trainer.getManager().newSubManager()) {
                        recorder.phase = phase;
                        EasyTrain.trainBatch(
                                trainer,
                                data.batch(scope, step, settings.batchSize(), false, type));
                        trainer.step();
                    }
                    steps.add(recorder.last);
                    if ((step + 1) % settings.checkpointEvery() == 0) {
                        checkpoint(model, guard, settings, step + 1);
                    }
                }
                return new FineTuneResult(
                        settings,
                        first,
                        steps,
                        finalState(model, (GuardedOptimizer) config.getOptimizer()),
                        pretrainedNow);
            }
        }
    }

    /** Loads the backbone (or the last checkpoint) into the model; returns the first step. */
    private static long load(
            Model model, FineTuneSettings settings, SequentialBlock backbone, Linear head)
            throws IOException, MalformedModelException {
        SequentialBlock whole = new SequentialBlock().add(backbone).add(head);
        if (!settings.resume()) {
            model.setBlock(backbone);
            model.load(settings.pretrained(), Backbone.NAME); // float32
            model.setBlock(whole);
            return 0;
        }
        int saved = Utils.getCurrentEpoch(settings.checkpoints(), FineTuneSettings.CHECKPOINT);
        if (saved < 0
                || !Files.exists(
                        settings.checkpoints()
                                .resolve(FineTuneSettings.CHECKPOINT + "-gradguard.properties"))) {
            throw new IllegalStateException("--resume: no checkpoint in " + settings.checkpoints());
        }
        model.setBlock(whole);
        model.load(settings.checkpoints(), FineTuneSettings.CHECKPOINT);
        return saved;
    }

    private static void checkConsistent(ClippingTrainingListener guard, long modelStep) {
        if (guard.getStepCount() != modelStep) {
            throw new IllegalStateException(
                    "--resume: the last saved model is from step "
                            + modelStep
                            + " but the guard state from step "
                            + guard.getStepCount()
                            + "; the run stopped while checkpointing. Delete the newer of the two.");
        }
    }

    private static Optimizer optimizer(FineTuneSettings settings) {
        Tracker lr = Tracker.fixed(settings.learningRate());
        if (settings.adamW()) {
            return Optimizer.adamW().optLearningRateTracker(lr).build();
        }
        return Optimizer.sgd().setLearningRateTracker(lr).build();
    }

    /** Saves the model first, then the guard state: resume checks that both are of one step. */
    private static void checkpoint(
            Model model, ClippingTrainingListener guard, FineTuneSettings settings, long step)
            throws IOException {
        Files.createDirectories(settings.checkpoints());
        model.setProperty("Epoch", Long.toString(step));
        model.save(settings.checkpoints(), FineTuneSettings.CHECKPOINT);
        guard.saveState(settings.checkpoints(), FineTuneSettings.CHECKPOINT);
    }

    /** Every parameter's values, and its float32 master if the optimizer holds one. */
    private static Map<String, float[]> finalState(Model model, GuardedOptimizer optimizer) {
        Map<String, float[]> state = new LinkedHashMap<>();
        for (Pair<String, Parameter> pair : model.getBlock().getParameters()) {
            NDArray value = pair.getValue().getArray();
            try (NDArray copy = value.toType(DataType.FLOAT32, true)) {
                state.put(pair.getKey(), copy.toFloatArray());
            }
            optimizer
                    .getMasterWeight(pair.getValue().getId(), value.getDevice())
                    .ifPresent(
                            master -> state.put(pair.getKey() + "#master", master.toFloatArray()));
        }
        return state;
    }

    /** Records each step's loss and report, after the guard (registered after it). */
    private static final class StepListener extends TrainingListenerAdapter {

        private final ClippingTrainingListener guard;
        private final StepProbe probe;
        private Phase phase;
        private StepRecord last;

        StepListener(ClippingTrainingListener guard, StepProbe probe) {
            this.guard = guard;
            this.probe = probe;
        }

        @Override
        public void onTrainingBatch(Trainer trainer, BatchData batchData) {
            StepReport report = guard.getLastReport().orElseThrow();
            Device device = trainer.getDevices()[0];
            NDList labels = batchData.getLabels().get(device);
            NDList predictions = batchData.getPredictions().get(device);
            float loss;
            try (NDArray value = TRUE_LOSS.evaluate(labels, predictions);
                    NDArray loss32 = value.toType(DataType.FLOAT32, true)) {
                loss = loss32.getFloat();
            }
            int trainable = 0;
            for (Pair<String, Parameter> pair : trainer.getModel().getBlock().getParameters()) {
                trainable += pair.getValue().requiresGradient() ? 1 : 0;
            }
            last = new StepRecord(phase, loss, trainable, report);
            if (probe != null) {
                probe.afterGuard(trainer, report);
            }
        }
    }
}
