package io.gradguard.it;

import static org.testng.Assert.assertEquals;
import static org.testng.Assert.assertFalse;
import static org.testng.Assert.assertNotEquals;
import static org.testng.Assert.assertTrue;
import static org.testng.Assert.expectThrows;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.engine.EngineException;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.training.DefaultTrainingConfig;
import ai.djl.training.Trainer;
import ai.djl.training.dataset.Batch;
import ai.djl.training.listener.TrainingListenerAdapter;
import ai.djl.training.loss.Loss;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.Tracker;
import ai.djl.translate.Batchifier;
import ai.djl.util.Pair;
import io.gradguard.ClippingTrainingListener;
import io.gradguard.GradGuard;
import io.gradguard.GuardedTraining;
import io.gradguard.NonFinitePolicy;
import io.gradguard.StepReport;
import io.gradguard.clip.ClipStrategy;
import io.gradguard.clip.GradientClipping;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.testng.annotations.Test;

/**
 * Bad input on one engine: every case gets correct behaviour or a clear exception, never a crash.
 */
public abstract class BadInputKit {

    /** Returns the engine name to test. */
    protected abstract String engineName();

    static Optimizer sgd() {
        return Optimizer.sgd().setLearningRateTracker(Tracker.fixed(0.05f)).build();
    }

    private static ClippingTrainingListener guard(List<StepReport> reports) {
        return ClippingTrainingListener.builder()
                .setStrategy(ClipStrategy.globalNorm(1f))
                .optNonFinitePolicy(NonFinitePolicy.SKIP_STEP)
                .optReportConsumer(reports::add)
                .build();
    }

    @Test
    public void aModelWithEveryParameterFrozenIsAClearError() {
        List<StepReport> reports = new ArrayList<>();
        ClippingTrainingListener guard = guard(reports);
        try (TinyRegression problem = new TinyRegression(engineName(), 91);
                Trainer trainer =
                        problem.newTrainer(
                                GradGuard.trainingConfig(Loss.l2Loss(), sgd(), guard), 91);
                NDManager manager = trainer.getManager().newSubManager()) {
            problem.model().getBlock().freezeParameters(true);
            List<float[]> before = problem.weights();
            Batch batch = problem.explicitBatches(manager, TinyRegression.BATCH, 1).get(0);
            // The engine refuses backward through a graph with nothing to differentiate.
            EngineException backward =
                    expectThrows(
                            EngineException.class,
                            () -> GuardedTraining.trainBatch(trainer, batch));
            assertEquals(backward.getClass(), EngineException.class, backward.toString());
            // Reached anyway (a loop that skips backward), the guard refuses before native code.
            IllegalStateException e =
                    expectThrows(
                            IllegalStateException.class,
                            () -> guard.onTrainingBatch(trainer, null));
            assertTrue(e.getMessage().contains("no trainable parameters"), e.getMessage());
            ClippingEndToEndKit.assertBitIdentical(problem.weights(), before);
            assertEquals(reports.size(), 0);
        }
    }

    @Test
    public void frozenParametersAreLeftOutAndUntouched() {
        List<StepReport> reports = new ArrayList<>();
        ClippingTrainingListener guard = guard(reports);
        List<Double> expectedNorms = new ArrayList<>();
        TrainingListenerAdapter reference =
                new TrainingListenerAdapter() {
                    @Override
                    public void onTrainingBatch(Trainer trainer, BatchData batchData) {
                        // The norm of the trainable gradients, in double, before the guard runs.
                        double sum = 0;
                        for (Pair<String, Parameter> p :
                                trainer.getModel().getBlock().getParameters()) {
                            if (!p.getValue().requiresGradient()) {
                                continue;
                            }
                            try (NDArray g = p.getValue().getArray().getGradient()) {
                                for (float v : g.toFloatArray()) {
                                    sum += (double) v * v;
                                }
                            }
                        }
                        expectedNorms.add(Math.sqrt(sum));
                    }
                };
        try (TinyRegression problem = new TinyRegression(engineName(), 92)) {
            DefaultTrainingConfig config =
                    new DefaultTrainingConfig(Loss.l2Loss())
                            .optOptimizer(new io.gradguard.GuardedOptimizer(sgd(), guard))
                            .addTrainingListeners(reference, guard);
            try (Trainer trainer = problem.newTrainer(config, 92);
                    NDManager manager = trainer.getManager().newSubManager()) {
                Block first = problem.model().getBlock().getChildren().get(0).getValue();
                first.freezeParameters(true);
                List<float[]> before = problem.weights();
                for (Batch batch : problem.explicitBatches(manager, TinyRegression.BATCH, 2)) {
                    GuardedTraining.trainBatch(trainer, batch);
                    assertTrue(GuardedTraining.step(trainer, guard));
                }
                List<float[]> after = problem.weights();
                // Parameters 0 and 1 (the first layer) are frozen, 2 and 3 train.
                ClippingEndToEndKit.assertBitIdentical(after.subList(0, 2), before.subList(0, 2));
                assertTrue(
                        ClippingEndToEndKit.distance(after.subList(2, 4), before.subList(2, 4))
                                > 0);
            }
        }
        assertEquals(reports.size(), 8);
        for (int i = 0; i < reports.size(); i++) {
            double expected = expectedNorms.get(i);
            assertEquals(reports.get(i).totalNorm(), expected, expected * 1e-5, "step " + i);
        }
        assertTrue(reports.stream().anyMatch(StepReport::clipped), "the data should clip");
    }

    @Test
    public void parametersThatGetNoGradientAreLeftOutAndUntouched() {
        List<StepReport> reports = new ArrayList<>();
        ClippingTrainingListener guard = guard(reports);
        Random random = new Random(93);
        float[] x = new float[16 * 5];
        float[] y = new float[16 * 4];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) random.nextGaussian();
        }
        for (int i = 0; i < y.length; i++) {
            y[i] = (float) random.nextGaussian() * 10f;
        }
        try (Model model = Model.newInstance("unused", Device.cpu(), engineName())) {
            UnusedBranchBlock block = new UnusedBranchBlock();
            model.setBlock(block);
            try (Trainer trainer =
                    model.newTrainer(GradGuard.trainingConfig(Loss.l2Loss(), sgd(), guard))) {
                trainer.initialize(new Shape(16, 5));
                NDManager m = trainer.getManager();
                List<float[]> unusedBefore = values(block.unused());
                List<float[]> allBefore = values(block);
                for (int step = 0; step < 4; step++) {
                    try (NDManager scope = m.newSubManager()) {
                        Batch batch =
                                new Batch(
                                        scope,
                                        new NDList(scope.create(x, new Shape(16, 5))),
                                        new NDList(scope.create(y, new Shape(16, 4))),
                                        16,
                                        Batchifier.STACK,
                                        Batchifier.STACK,
                                        step,
                                        4);
                        GuardedTraining.trainBatch(trainer, batch);
                        assertTrue(GuardedTraining.step(trainer, guard));
                    }
                }
                ClippingEndToEndKit.assertBitIdentical(values(block.unused()), unusedBefore);
                assertTrue(ClippingEndToEndKit.distance(values(block), allBefore) > 0);
            }
        }
        assertEquals(reports.size(), 4);
        for (StepReport r : reports) {
            assertTrue(Float.isFinite(r.totalNorm()) && r.totalNorm() > 0, r.toString());
            assertFalse(r.skipped());
        }
    }

    private static List<float[]> values(Block block) {
        List<float[]> out = new ArrayList<>();
        for (Pair<String, Parameter> p : block.getParameters()) {
            out.add(p.getValue().getArray().toFloatArray());
        }
        return out;
    }

    @Test
    public void zeroSizeGradientsCountAsZero() {
        try (NDManager m = NDManager.newBaseManager(Device.cpu(), engineName())) {
            NDArray empty = m.zeros(new Shape(0, 3));
            NDArray a = m.create(new float[] {3f, 4f});
            NDArray b = m.create(new float[] {12f});
            // ||(3, 4, 12)|| = 13; coef = 6.5 / (13 + 1e-6), in float32 as below.
            NDArray norm = GradientClipping.clipGradNorm(List.of(empty, a, b), 6.5f);
            assertEquals(norm.getFloat(), 13f);
            float coef = 6.5f / (13f + 1e-6f);
            assertEquals(a.toFloatArray(), new float[] {3f * coef, 4f * coef});
            assertEquals(b.toFloatArray(), new float[] {12f * coef});
            assertEquals(empty.getShape(), new Shape(0, 3));
            assertEquals(GradientClipping.totalNorm(List.of(empty), 2f).getFloat(), 0f);
            GradientClipping.clipGradValue(List.of(empty, a), 1f);
            assertEquals(a.toFloatArray(), new float[] {1f, 1f});
            assertEquals(empty.getShape(), new Shape(0, 3));
        }
    }

    @Test
    public void aListenerGuardsOneOpenTrainerAtATime() {
        List<StepReport> reports = new ArrayList<>();
        ClippingTrainingListener guard = guard(reports);
        try (TinyRegression problem = new TinyRegression(engineName(), 94)) {
            Trainer first =
                    problem.newTrainer(GradGuard.trainingConfig(Loss.l2Loss(), sgd(), guard), 94);
            try (TinyRegression other = new TinyRegression(engineName(), 95)) {
                IllegalStateException e =
                        expectThrows(
                                IllegalStateException.class,
                                () ->
                                        other.newTrainer(
                                                GradGuard.trainingConfig(
                                                        Loss.l2Loss(), sgd(), guard),
                                                95));
                assertTrue(e.getMessage().contains("still open"), e.getMessage());
            }
            problem.fit(first, 1);
            first.close();
            assertEquals(reports.size(), 4);
        }
        try (TinyRegression again = new TinyRegression(engineName(), 96);
                Trainer second =
                        again.newTrainer(
                                GradGuard.trainingConfig(Loss.l2Loss(), sgd(), guard), 96)) {
            List<float[]> before = again.weights();
            again.fit(second, 1);
            assertNotEquals(ClippingEndToEndKit.distance(again.weights(), before), 0.0);
            assertEquals(reports.size(), 8);
            assertEquals(guard.getStepCount(), 4, "the counters restarted with the new trainer");
        }
    }

    @Test
    public void bfloat16ModelsAreRefusedBeforeAnyNativeCall() {
        ClippingTrainingListener guard = guard(new ArrayList<>());
        try (TinyRegression problem = new TinyRegression(engineName(), 97, DataType.BFLOAT16)) {
            int arrays = problem.modelArrays();
            IllegalArgumentException e =
                    expectThrows(
                            IllegalArgumentException.class,
                            () ->
                                    problem.newTrainer(
                                            GradGuard.trainingConfig(Loss.l2Loss(), sgd(), guard),
                                            97));
            assertTrue(e.getMessage().contains("bfloat16"), e.getMessage());
            // Refused in the trainer's constructor: no parameter was initialized, no array made.
            assertFalse(problem.anyParameterInitialized(), "a parameter was initialized");
            assertEquals(problem.modelArrays(), arrays, "arrays created under the model");
        }
    }
}
