package io.gradguard.it;

import static org.testng.Assert.assertEquals;
import static org.testng.Assert.assertTrue;

import ai.djl.training.Trainer;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.Tracker;
import io.gradguard.ClipStatistics;
import io.gradguard.ClippingTrainingListener;
import io.gradguard.GuardMetrics;
import io.gradguard.StepReport;
import io.gradguard.clip.ClipStrategy;
import java.util.ArrayList;
import java.util.List;
import org.testng.annotations.Test;

/** End-to-end contract of {@link ClippingTrainingListener} under EasyTrain.fit, per engine. */
public abstract class ClippingEndToEndKit {

    private static final float LR = 0.05f;

    /** Returns the engine name to test, as DJL spells it. */
    protected abstract String engineName();

    private static Optimizer sgd() {
        return Optimizer.sgd().setLearningRateTracker(Tracker.fixed(LR)).build();
    }

    @Test
    public void hugeThresholdTrainsBitIdenticallyToNoListener() {
        List<float[]> plain;
        List<float[]> guarded;
        try (TinyRegression problem = new TinyRegression(engineName(), 1)) {
            try (Trainer trainer = problem.newTrainer(sgd(), 1)) {
                problem.fit(trainer, 3);
            }
            plain = problem.weights();
        }
        ClippingTrainingListener listener =
                ClippingTrainingListener.builder()
                        .setStrategy(ClipStrategy.globalNorm(1e9f))
                        .build();
        try (TinyRegression problem = new TinyRegression(engineName(), 1)) {
            try (Trainer trainer = problem.newTrainer(sgd(), 1, listener)) {
                problem.fit(trainer, 3);
            }
            guarded = problem.weights();
        }
        assertBitIdentical(guarded, plain);
        ClipStatistics stats = listener.getStatistics();
        assertEquals(stats.steps(), 12);
        assertEquals(stats.clippedSteps(), 0);
        assertTrue(stats.maxNorm() > 0f);
    }

    @Test
    public void tinyThresholdBarelyMovesTheWeights() {
        float maxNorm = 1e-4f;
        int epochs = 2;
        List<float[]> initial;
        List<float[]> plain;
        List<float[]> clipped;
        ClippingTrainingListener listener =
                ClippingTrainingListener.builder()
                        .setStrategy(ClipStrategy.globalNorm(maxNorm))
                        .build();
        try (TinyRegression problem = new TinyRegression(engineName(), 2)) {
            try (Trainer trainer = problem.newTrainer(sgd(), 2)) {
                initial = problem.weights();
                problem.fit(trainer, epochs);
            }
            plain = problem.weights();
        }
        try (TinyRegression problem = new TinyRegression(engineName(), 2)) {
            try (Trainer trainer = problem.newTrainer(sgd(), 2, listener)) {
                problem.fit(trainer, epochs);
            }
            clipped = problem.weights();
        }
        int steps = epochs * TinyRegression.SAMPLES / TinyRegression.BATCH;
        // SGD moves the weights by lr * g per step and ||g|| <= maxNorm after clipping, so by the
        // triangle inequality the total move is at most steps * lr * maxNorm (plus float slack).
        double bound = steps * LR * maxNorm * (1 + 1e-3) + 1e-7;
        assertTrue(distance(clipped, initial) <= bound, distance(clipped, initial) + " > " + bound);
        assertTrue(distance(plain, initial) > 100 * bound, "the unclipped run should move far");
        assertEquals(listener.getStatistics().clippedSteps(), steps);
        assertEquals(listener.getStatistics().clipRate(), 1.0);
    }

    @Test
    public void reportsOneRecordPerStepWithConsistentCoefficients() {
        float maxNorm = 5f;
        List<StepReport> reports = new ArrayList<>();
        ClippingTrainingListener listener =
                ClippingTrainingListener.builder()
                        .setStrategy(ClipStrategy.globalNorm(maxNorm))
                        .optReportConsumer(reports::add)
                        .build();
        try (TinyRegression problem = new TinyRegression(engineName(), 3);
                Trainer trainer = problem.newTrainer(sgd(), 3, listener)) {
            problem.fit(trainer, 2);
        }
        assertEquals(reports.size(), 8);
        for (int i = 0; i < reports.size(); i++) {
            StepReport r = reports.get(i);
            assertEquals(r.step(), i);
            assertEquals(r.epoch(), i / 4);
            assertEquals(r.batchIndex(), i % 4);
            float expected = Math.min(1f, maxNorm / (r.totalNorm() + 1e-6f));
            assertEquals(r.coefficient(), expected, expected * 1e-6f);
            assertEquals(r.clipped(), r.coefficient() < 1f);
            assertEquals(r.microBatches(), 1);
        }
        assertTrue(reports.stream().anyMatch(StepReport::clipped), "the data should clip");
    }

    @Test
    public void metricsCarryEveryStepsNormAndCoefficient() {
        List<StepReport> reports = new ArrayList<>();
        ClippingTrainingListener listener =
                ClippingTrainingListener.builder()
                        .setStrategy(ClipStrategy.globalNorm(5f))
                        .optReportConsumer(reports::add)
                        .build();
        ai.djl.metric.Metrics metrics = new ai.djl.metric.Metrics();
        try (TinyRegression problem = new TinyRegression(engineName(), 3);
                Trainer trainer = problem.newTrainer(sgd(), 3, listener)) {
            trainer.setMetrics(metrics);
            problem.fit(trainer, 2);
        }
        List<ai.djl.metric.Metric> norms = metrics.getMetric(GuardMetrics.NORM);
        List<ai.djl.metric.Metric> coefs = metrics.getMetric(GuardMetrics.COEFFICIENT);
        assertEquals(norms.size(), reports.size());
        assertEquals(coefs.size(), reports.size());
        for (int i = 0; i < reports.size(); i++) {
            assertEquals(norms.get(i).getValue().floatValue(), reports.get(i).totalNorm());
            assertEquals(coefs.get(i).getValue().floatValue(), reports.get(i).coefficient());
        }
        assertEquals(metrics.getMetric(GuardMetrics.THRESHOLD).get(0).getValue().floatValue(), 5f);
        assertEquals(metrics.getMetric(GuardMetrics.LOSS_SCALE).get(0).getValue().floatValue(), 1f);
        assertEquals(metrics.getMetric(GuardMetrics.SKIPPED).size(), 8);
    }

    @Test
    public void managedArrayCountIsFlatOverManySteps() {
        ClippingTrainingListener listener =
                ClippingTrainingListener.builder().setStrategy(ClipStrategy.globalNorm(1f)).build();
        try (TinyRegression problem = new TinyRegression(engineName(), 4);
                Trainer trainer = problem.newTrainer(sgd(), 4, listener)) {
            problem.fit(trainer, 2); // 8 steps: warm-up, lazy state, optimizer state
            int afterFew = problem.model().getNDManager().getManagedArrays().size();
            int trainerAfterFew = trainer.getManager().getManagedArrays().size();
            problem.fit(trainer, 125); // 500 more steps
            assertEquals(problem.model().getNDManager().getManagedArrays().size(), afterFew);
            assertEquals(trainer.getManager().getManagedArrays().size(), trainerAfterFew);
            assertEquals(listener.getStatistics().steps(), 508);
        }
    }

    static double distance(List<float[]> a, List<float[]> b) {
        double sum = 0;
        for (int i = 0; i < a.size(); i++) {
            for (int j = 0; j < a.get(i).length; j++) {
                double d = (double) a.get(i)[j] - b.get(i)[j];
                sum += d * d;
            }
        }
        return Math.sqrt(sum);
    }

    static void assertBitIdentical(List<float[]> actual, List<float[]> expected) {
        assertEquals(actual.size(), expected.size());
        for (int i = 0; i < actual.size(); i++) {
            float[] a = actual.get(i);
            float[] e = expected.get(i);
            assertEquals(a.length, e.length);
            for (int j = 0; j < a.length; j++) {
                assertEquals(
                        Float.floatToRawIntBits(a[j]),
                        Float.floatToRawIntBits(e[j]),
                        "parameter " + i + " element " + j + ": " + a[j] + " vs " + e[j]);
            }
        }
    }
}
