package io.gradguard.examples;

import ai.djl.Model;
import ai.djl.engine.Engine;
import ai.djl.metric.Metrics;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.DefaultTrainingConfig;
import ai.djl.training.EasyTrain;
import ai.djl.training.Trainer;
import ai.djl.training.dataset.Batch;
import ai.djl.training.listener.DivergenceCheckTrainingListener;
import ai.djl.training.listener.TrainingListener;
import ai.djl.training.loss.Loss;
import ai.djl.training.loss.SigmoidBinaryCrossEntropyLoss;
import ai.djl.translate.TranslateException;
import ai.djl.util.Pair;
import io.gradguard.ClippingTrainingListener;
import io.gradguard.GradGuard;
import io.gradguard.StepReport;
import io.gradguard.scale.LossScaler;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * Trains the churn model once on one engine and measures what happened.
 *
 * <p>The loop is {@code EasyTrain.fit}'s (train every batch, step, validate, notify {@code
 * onEpoch}) with two additions: it times each step, and with {@link
 * RunSettings#stopAtNonFiniteLoss()} it stops at the end of the epoch in which a batch's loss first
 * became NaN or infinite. With {@link RunHooks#progress()}, DJL's logging listeners (progress bars,
 * epoch summaries) are installed without any divergence check, which would throw at that batch. A
 * {@link ClippingTrainingListener} with the run's strategy guards every step, reports every step's
 * gradient norm and feeds the hooks' observers; for the unguarded run the strategy is {@code
 * observeOnly()}, which measures and changes nothing.
 */
public final class TrainingRun {

    private TrainingRun() {}

    /**
     * Runs one training quietly, with no extra observers.
     *
     * @param settings the run's settings
     * @param data the data set
     * @return the result
     * @throws IOException if DJL fails to read a batch
     * @throws TranslateException if DJL fails to prepare a batch
     */
    public static RunResult run(RunSettings settings, ChurnData data)
            throws IOException, TranslateException {
        return run(settings, data, RunHooks.quiet());
    }

    /**
     * Runs one training.
     *
     * @param settings the run's settings
     * @param data the data set
     * @param hooks extra observers and whether to show progress
     * @return the result
     * @throws IOException if DJL fails to read a batch
     * @throws TranslateException if DJL fails to prepare a batch
     */
    public static RunResult run(RunSettings settings, ChurnData data, RunHooks hooks)
            throws IOException, TranslateException {
        Engine.getEngine(settings.engine()).setRandomSeed(settings.seed());
        try (Model model = Model.newInstance("churn-lstm", settings.engine())) {
            if (settings.mixedPrecision()) {
                model.setDataType(DataType.FLOAT16);
            }
            model.setBlock(
                    new ChurnLstmBlock(settings.hidden(), settings.layers(), settings.dropRate()));
            ChurnData.ChurnDatasets sets =
                    data.toDatasets(model.getNDManager(), settings.batchSize());
            List<StepReport> reports = new ArrayList<>();
            ClippingTrainingListener guard = guard(settings, reports, hooks);
            Loss loss = new SigmoidBinaryCrossEntropyLoss();
            BatchLossListener batchLoss = new BatchLossListener(loss);
            DefaultTrainingConfig config =
                    GradGuard.trainingConfig(
                                    loss,
                                    settings.optimizer().build(settings.learningRate()),
                                    guard)
                            .addTrainingListeners(batchLoss);
            if (hooks.progress()) {
                config.addTrainingListeners(loggingWithoutDivergenceCheck());
            }
            try (Trainer trainer = model.newTrainer(config)) {
                trainer.setMetrics(new Metrics());
                Shape input = new Shape(settings.batchSize(), data.spec().seqLen());
                trainer.initialize(input, input);
                Loop loop = train(trainer, settings, sets, batchLoss, reports);
                Evaluation validation =
                        evaluate(trainer, sets, data.validationLabels(), data.validationLongTail());
                double nonFinite = nonFiniteShare(model);
                return new RunResult(
                        settings,
                        loop.batches,
                        loop.lastEpochLoss,
                        validation.loss,
                        validation.ordinaryLoss,
                        validation.auc,
                        guard.getStatistics(),
                        NormSummary.of(reports),
                        loop.batches == 0 ? Double.NaN : loop.nanos / 1e6 / loop.batches,
                        nonFinite,
                        Optional.ofNullable(loop.divergence),
                        reports);
            }
        }
    }

    /**
     * DJL's logging listeners without any divergence check: the demo's unguarded run must be free
     * to go NaN so that the story can show where. ({@link GradGuard#loggingListeners()} would stop
     * it at the first NaN loss, as it should in real training.)
     */
    private static TrainingListener[] loggingWithoutDivergenceCheck() {
        return Arrays.stream(TrainingListener.Defaults.logging())
                .filter(l -> !(l instanceof DivergenceCheckTrainingListener))
                .toArray(TrainingListener[]::new);
    }

    private static ClippingTrainingListener guard(
            RunSettings settings, List<StepReport> sink, RunHooks hooks) {
        var builder =
                ClippingTrainingListener.builder()
                        .setStrategy(settings.strategy())
                        .optReportConsumer(sink::add)
                        .optAccumulationSteps(settings.accumulationSteps());
        hooks.observers().forEach(builder::optObserver);
        if (settings.mixedPrecision()) {
            builder.optLossScaler(LossScaler.dynamic());
        }
        return builder.build();
    }

    private static Loop train(
            Trainer trainer,
            RunSettings settings,
            ChurnData.ChurnDatasets sets,
            BatchLossListener batchLoss,
            List<StepReport> reports)
            throws IOException, TranslateException {
        Loop loop = new Loop();
        for (int epoch = 0; epoch < settings.epochs(); epoch++) {
            double sum = 0;
            int batches = 0;
            for (Batch batch : trainer.iterateDataset(sets.training())) {
                try (batch) {
                    long start = System.nanoTime();
                    EasyTrain.trainBatch(trainer, batch);
                    trainer.step();
                    loop.nanos += System.nanoTime() - start;
                }
                float value = batchLoss.last();
                if (!Float.isFinite(value) && loop.divergence == null) {
                    loop.divergence = divergence(loop.batches, epoch, batches, value, reports);
                }
                sum += value;
                batches++;
                loop.batches++;
            }
            EasyTrain.evaluateDataset(trainer, sets.validation());
            trainer.notifyListeners(listener -> listener.onEpoch(trainer));
            loop.lastEpochLoss = sum / batches;
            if (loop.divergence != null && settings.stopAtNonFiniteLoss()) {
                break;
            }
        }
        return loop;
    }

    private static Divergence divergence(
            long batch, int epoch, long batchInEpoch, float loss, List<StepReport> reports) {
        float before = Float.NaN;
        float largest = Float.NaN;
        for (StepReport report : reports) {
            boolean earlier =
                    report.epoch() < epoch
                            || (report.epoch() == epoch && report.batchIndex() < batchInEpoch);
            if (!earlier) {
                break;
            }
            before = report.totalNorm();
            if (Float.isFinite(before) && (Float.isNaN(largest) || before > largest)) {
                largest = before;
            }
        }
        return new Divergence(batch, epoch, batchInEpoch, loss, before, largest);
    }

    private static Evaluation evaluate(
            Trainer trainer, ChurnData.ChurnDatasets sets, float[] labels, boolean[] longTail)
            throws IOException, TranslateException {
        float[] scores = new float[labels.length];
        int filled = 0;
        for (Batch batch : trainer.iterateDataset(sets.validation())) {
            try (batch) {
                NDList out = trainer.evaluate(batch.getData());
                float[] logits = out.head().toType(DataType.FLOAT32, false).toFloatArray();
                System.arraycopy(logits, 0, scores, filled, logits.length);
                filled += logits.length;
            }
        }
        double lossSum = 0;
        double ordinarySum = 0;
        int ordinary = 0;
        boolean finite = true;
        for (int i = 0; i < scores.length; i++) {
            double loss = logisticLoss(scores[i], labels[i]);
            lossSum += loss;
            if (!longTail[i]) {
                ordinarySum += loss;
                ordinary++;
            }
            finite &= Float.isFinite(scores[i]);
        }
        double auc = finite ? Auc.of(scores, labels) : Double.NaN;
        return new Evaluation(
                lossSum / scores.length, ordinary == 0 ? Double.NaN : ordinarySum / ordinary, auc);
    }

    /**
     * The binary cross-entropy of a logit, in the overflow-free form DJL and PyTorch use: {@code
     * max(z, 0) - z y + log(1 + exp(-|z|))}.
     */
    static double logisticLoss(double logit, double label) {
        return Math.max(logit, 0) - logit * label + Math.log1p(Math.exp(-Math.abs(logit)));
    }

    private static double nonFiniteShare(Model model) {
        long total = 0;
        long bad = 0;
        for (Pair<String, Parameter> pair : model.getBlock().getParameters()) {
            NDArray array = pair.getValue().getArray();
            try (NDArray host = array.toType(DataType.FLOAT32, true)) {
                for (float v : host.toFloatArray()) {
                    bad += Float.isFinite(v) ? 0 : 1;
                }
                total += array.size();
            }
        }
        return total == 0 ? 0 : (double) bad / total;
    }

    private static final class Loop {
        private long batches;
        private long nanos;
        private double lastEpochLoss = Double.NaN;
        private Divergence divergence;
    }

    private record Evaluation(double loss, double ordinaryLoss, double auc) {}
}
