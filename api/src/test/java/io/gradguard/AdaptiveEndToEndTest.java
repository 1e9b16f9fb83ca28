package io.gradguard;

import static org.testng.Assert.assertEquals;
import static org.testng.Assert.assertTrue;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.Parameter;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.core.Linear;
import ai.djl.training.DefaultTrainingConfig;
import ai.djl.training.EasyTrain;
import ai.djl.training.Trainer;
import ai.djl.training.dataset.ArrayDataset;
import ai.djl.training.loss.Loss;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.Tracker;
import ai.djl.translate.TranslateException;
import ai.djl.util.Pair;
import io.gradguard.clip.ClipStrategy;
import io.gradguard.clip.StatefulClipStrategy;
import io.gradguard.clip.ThresholdCalibration;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.testng.annotations.Test;

/**
 * The adaptive strategies under {@code EasyTrain.fit} on the PyTorch engine, checked against the
 * norms the listener reports: the threshold each step used is recomputed here from those norms.
 */
public class AdaptiveEndToEndTest {

    private static final int SAMPLES = 48;
    private static final int FEATURES = 6;
    private static final int BATCH = 8;

    /** Trains 2 epochs (12 batches) and returns each step's report and the strategy's threshold. */
    private static List<float[]> train(ClipStrategy strategy, int accumulation)
            throws IOException, TranslateException {
        List<float[]> seen = new ArrayList<>();
        ClippingTrainingListener guard =
                ClippingTrainingListener.builder()
                        .setStrategy(strategy)
                        .optAccumulationSteps(accumulation)
                        .optReportConsumer(
                                r ->
                                        seen.add(
                                                new float[] {
                                                    r.totalNorm(),
                                                    r.coefficient(),
                                                    r.clipped() ? 1f : 0f,
                                                    strategy.threshold()
                                                }))
                        .build();
        try (NDManager data = NDManager.newBaseManager(Device.cpu(), "PyTorch");
                Model model = Model.newInstance("adaptive-e2e", Device.cpu(), "PyTorch")) {
            model.setBlock(
                    new SequentialBlock()
                            .add(Linear.builder().setUnits(8).build())
                            .add(Activation::relu)
                            .add(Linear.builder().setUnits(1).build()));
            Random random = new Random(11);
            float[] x = new float[SAMPLES * FEATURES];
            float[] y = new float[SAMPLES];
            for (int i = 0; i < SAMPLES; i++) {
                for (int j = 0; j < FEATURES; j++) {
                    x[i * FEATURES + j] = (float) random.nextGaussian();
                    y[i] += x[i * FEATURES + j] * (j - 2.5f);
                }
                y[i] *= i % 7 == 0 ? 20f : 1f;
            }
            ArrayDataset dataset =
                    new ArrayDataset.Builder()
                            .setData(data.create(x, new Shape(SAMPLES, FEATURES)))
                            .optLabels(data.create(y, new Shape(SAMPLES, 1)))
                            .setSampling(BATCH, false)
                            .build();
            DefaultTrainingConfig config =
                    GradGuard.trainingConfig(
                            Loss.l2Loss(),
                            Optimizer.sgd().setLearningRateTracker(Tracker.fixed(0.01f)).build(),
                            guard);
            try (Trainer trainer = model.newTrainer(config)) {
                // Seeded initial weights: the assertions below depend on which steps clip.
                Engine.getEngine("PyTorch").setRandomSeed(11);
                trainer.initialize(new Shape(BATCH, FEATURES));
                EasyTrain.fit(trainer, 2, dataset, null);
                for (Pair<String, Parameter> p : model.getBlock().getParameters()) {
                    for (float v : p.getValue().getArray().toFloatArray()) {
                        assertTrue(Float.isFinite(v), p.getKey() + " stays finite");
                    }
                }
            }
        }
        return seen;
    }

    /** numpy.percentile(values, q), linear method, written out independently of the library. */
    private static double percentile(float[] values, int count, double q) {
        double[] sorted = new double[count];
        for (int i = 0; i < count; i++) {
            sorted[i] = values[i];
        }
        Arrays.sort(sorted);
        double h = (count - 1) * q / 100.0;
        int lo = (int) Math.floor(h);
        int hi = Math.min(lo + 1, count - 1);
        return sorted[lo] + (sorted[hi] - sorted[lo]) * (h - lo);
    }

    private static float[] norms(List<float[]> seen) {
        float[] out = new float[seen.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = seen.get(i)[0];
        }
        return out;
    }

    @Test
    public void calibrationRecommendsThePercentileOfTheReportedNormsAndAdoptsIt()
            throws IOException, TranslateException {
        ThresholdCalibration advisor = ClipStrategy.calibrate(6, 50f, true);
        List<float[]> seen = train(advisor, 1);
        assertEquals(seen.size(), 12);
        float[] norms = norms(seen);
        float expected = (float) percentile(norms, 6, 50);
        assertEquals(advisor.recommendation().orElseThrow(), expected, expected * 1e-6f);
        for (int i = 0; i < 6; i++) {
            assertEquals(seen.get(i)[1], 1f, "observed, not clipped, at step " + i);
        }
        int clipped = 0;
        for (int i = 6; i < 12; i++) {
            float coef = Math.min(1f, expected / (norms[i] + 1e-6f));
            assertEquals(seen.get(i)[1], coef, 1e-6f, "coefficient at step " + i);
            clipped += seen.get(i)[2] > 0 ? 1 : 0;
        }
        assertTrue(clipped > 0, "the adopted p50 clips some later steps");
    }

    @Test
    public void autoClipUsesThePercentileOfTheReportedHistoryWithAccumulation()
            throws IOException, TranslateException {
        StatefulClipStrategy auto = ClipStrategy.autoClip(25f);
        List<float[]> seen = train(auto, 2);
        assertEquals(seen.size(), 6, "12 batches in windows of 2");
        float[] norms = norms(seen);
        for (int i = 0; i < seen.size(); i++) {
            float threshold = (float) percentile(norms, i + 1, 25);
            assertEquals(seen.get(i)[3], threshold, threshold * 1e-6f, "threshold at step " + i);
            float coef = Math.min(1f, threshold / (norms[i] + 1e-6f));
            assertEquals(seen.get(i)[1], coef, 1e-5f, "coefficient at step " + i);
        }
    }

    @Test
    public void zClipAndAgcTrainUnderTheListener() throws IOException, TranslateException {
        StatefulClipStrategy zclip = ClipStrategy.zClip(5f, 0.9f, 2f, 4);
        List<float[]> z = train(zclip, 1);
        assertEquals(z.size(), 12);
        assertEquals(zclip.state().get("initialized"), true);
        for (int i = 0; i < 4; i++) {
            assertEquals(z.get(i)[3], 5f, "warm-up clips at maxNorm, step " + i);
        }
        List<float[]> agc = train(ClipStrategy.agc(0.01f), 1);
        assertEquals(agc.size(), 12);
        for (float[] step : agc) {
            assertTrue(step[1] > 0f && step[1] <= 1f, "coefficient " + step[1]);
        }
        assertTrue(agc.stream().anyMatch(s -> s[2] > 0), "lambda 0.01 clips a fresh model");
    }
}
