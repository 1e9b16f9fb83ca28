package io.gradguard.it;

import static org.testng.Assert.assertEquals;
import static org.testng.Assert.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.Parameter;
import ai.djl.training.DefaultTrainingConfig;
import ai.djl.training.EasyTrain;
import ai.djl.training.Trainer;
import ai.djl.training.dataset.Batch;
import ai.djl.training.loss.Loss;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.Tracker;
import ai.djl.translate.TranslateException;
import ai.djl.util.Pair;
import io.gradguard.ClipStatistics;
import io.gradguard.ClippingTrainingListener;
import io.gradguard.ClippingTrainingListenerBuilder;
import io.gradguard.GradGuard;
import io.gradguard.StepReport;
import io.gradguard.clip.ClipStrategy;
import io.gradguard.scale.LossScaler;
import io.gradguard.spi.GradientOps;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.function.Supplier;
import org.testng.annotations.DataProvider;
import org.testng.annotations.Test;

/**
 * Gradient accumulation on one engine: {@code n} micro-batches of {@code b} examples equal one
 * batch of {@code n * b} (the L2 loss is a batch mean, so the big batch's gradient is the mean of
 * the micro-batches' gradients), with clipping active, once per window, on the mean.
 */
public abstract class AccumulationKit {

    static final float MAX_NORM = 3f;

    /** Returns the engine name to test. */
    protected abstract String engineName();

    /** Returns the gradient ops to force, or null for the engine's registered ones. */
    protected GradientOps ops() {
        return null;
    }

    @DataProvider
    public Object[][] optimizers() {
        Supplier<Optimizer> adam =
                () -> Optimizer.adam().optLearningRateTracker(Tracker.fixed(0.01f)).build();
        Supplier<Optimizer> sgd =
                () -> Optimizer.sgd().setLearningRateTracker(Tracker.fixed(0.02f)).build();
        return new Object[][] {{"adam", adam}, {"sgd", sgd}};
    }

    List<float[]> fit(
            int samples,
            int batch,
            int accumulation,
            Optimizer optimizer,
            int epochs,
            ClipStatistics[] statsOut) {
        return fit(engineName(), ops(), samples, batch, accumulation, optimizer, epochs, statsOut);
    }

    /** Trains with EasyTrain.fit and returns the final weights. */
    static List<float[]> fit(
            String engine,
            GradientOps ops,
            int samples,
            int batch,
            int accumulation,
            Optimizer optimizer,
            int epochs,
            ClipStatistics[] statsOut) {
        ClippingTrainingListenerBuilder builder =
                ClippingTrainingListener.builder()
                        .setStrategy(ClipStrategy.globalNorm(MAX_NORM))
                        .optAccumulationSteps(accumulation);
        if (ops != null) {
            builder.optGradientOps(ops);
        }
        ClippingTrainingListener guard = builder.build();
        try (TinyRegression problem =
                new TinyRegression(engine, 31, DataType.FLOAT32, samples, batch)) {
            DefaultTrainingConfig config =
                    GradGuard.trainingConfig(Loss.l2Loss(), optimizer, guard);
            try (Trainer trainer = problem.newTrainer(config, 31)) {
                problem.fit(trainer, epochs);
            }
            if (statsOut != null) {
                statsOut[0] = guard.getStatistics();
            }
            return problem.weights();
        }
    }

    @Test(dataProvider = "optimizers")
    public void microBatchesEqualOneLargeBatch(String name, Supplier<Optimizer> optimizer) {
        ClipStatistics[] accumulated = new ClipStatistics[1];
        ClipStatistics[] large = new ClipStatistics[1];
        List<float[]> a = fit(64, 4, 4, optimizer.get(), 2, accumulated);
        List<float[]> b = fit(64, 16, 1, optimizer.get(), 2, large);
        assertClose(a, b, 1e-5, name);
        assertEquals(accumulated[0].steps(), 8);
        assertEquals(accumulated[0].microSteps(), 32);
        assertEquals(large[0].steps(), 8);
        assertTrue(accumulated[0].clippedSteps() > 0, "clipping must fire");
        assertEquals(accumulated[0].clippedSteps(), large[0].clippedSteps());
    }

    @Test
    public void partialFinalWindowIsSteppedWithItsOwnDivisor() {
        // 20 samples in micro-batches of 4: windows of 4 and 1 micro-batches per epoch, which
        // equal large batches of 16 and 4 samples.
        Supplier<Optimizer> sgd =
                () -> Optimizer.sgd().setLearningRateTracker(Tracker.fixed(0.02f)).build();
        ClipStatistics[] stats = new ClipStatistics[1];
        List<float[]> a = fit(20, 4, 4, sgd.get(), 3, stats);
        List<float[]> b = fit(20, 16, 1, sgd.get(), 3, null);
        assertClose(a, b, 1e-5, "partial window");
        assertEquals(stats[0].steps(), 6);
        assertEquals(stats[0].microSteps(), 15);
    }

    /**
     * Each report names the epoch and the index, within it, of its window's last batch: 5
     * micro-batches per epoch in windows of 4 give a full window ending at batch 3 and a partial
     * one of 1 micro-batch, stepped at the epoch's end, ending at batch 4.
     */
    @Test
    public void reportsNameTheLastBatchOfTheirWindow() {
        List<StepReport> reports = new ArrayList<>();
        ClippingTrainingListener guard =
                ClippingTrainingListener.builder()
                        .setStrategy(ClipStrategy.globalNorm(MAX_NORM))
                        .optAccumulationSteps(4)
                        .optObserver((report, details) -> reports.add(report))
                        .build();
        Optimizer sgd = Optimizer.sgd().setLearningRateTracker(Tracker.fixed(0.02f)).build();
        try (TinyRegression problem =
                        new TinyRegression(engineName(), 31, DataType.FLOAT32, 20, 4);
                Trainer trainer =
                        problem.newTrainer(
                                GradGuard.trainingConfig(Loss.l2Loss(), sgd, guard), 31)) {
            problem.fit(trainer, 2);
        }
        assertEquals(
                reports.stream()
                        .map(r -> r.epoch() + ":" + r.batchIndex() + "/" + r.microBatches())
                        .toList(),
                List.of("0:3/4", "0:4/1", "1:3/4", "1:4/1"));
    }

    /**
     * A window of one micro-batch is no accumulation at all: the guard steps after every batch and
     * its weights equal, bit for bit, a plain DJL loop without a guard that clips each batch's
     * gradients with the same ops before {@code trainer.step()}.
     */
    @Test
    public void oneStepWindowIsBitIdenticalToNoAccumulation() {
        Supplier<Optimizer> adam =
                () -> Optimizer.adam().optLearningRateTracker(Tracker.fixed(0.01f)).build();
        ClipStatistics[] stats = new ClipStatistics[1];
        List<float[]> window = fit(64, 16, 1, adam.get(), 2, stats);
        // 64 samples in batches of 16 for 2 epochs: 8 batches, each its own optimizer step.
        assertEquals(stats[0].microSteps(), 8);
        assertEquals(stats[0].steps(), 8);
        assertTrue(stats[0].clippedSteps() > 0, "clipping must fire, or nothing is compared");

        GradientOps ops =
                ops() != null ? ops() : GradientOps.forEngine(Engine.getEngine(engineName()));
        List<float[]> plain;
        try (TinyRegression problem = new TinyRegression(engineName(), 31);
                Trainer trainer = problem.newTrainer(adam.get(), 31)) {
            for (int epoch = 0; epoch < 2; epoch++) {
                for (Batch batch : trainer.iterateDataset(problem.dataset())) {
                    EasyTrain.trainBatch(trainer, batch);
                    try (NDManager step = trainer.getManager().newSubManager()) {
                        List<NDArray> grads = new ArrayList<>();
                        for (Pair<String, Parameter> p :
                                problem.model().getBlock().getParameters()) {
                            NDArray grad = p.getValue().getArray().getGradient();
                            grad.attach(step);
                            grads.add(grad);
                        }
                        ops.clipByGlobalNorm(grads, MAX_NORM, 2f);
                    }
                    trainer.step();
                    batch.close();
                }
            }
            plain = problem.weights();
        } catch (IOException | TranslateException e) {
            throw new IllegalStateException(e);
        }
        ClippingEndToEndKit.assertBitIdentical(window, plain);
    }

    /** Runs micro-batches of 4 in windows of 4 through a custom loop, with optional faults. */
    private List<float[]> windows(Set<Integer> skipMicro, Set<Integer> faultMicro) {
        ClippingTrainingListenerBuilder builder =
                ClippingTrainingListener.builder()
                        .setStrategy(ClipStrategy.globalNorm(MAX_NORM))
                        .optLossScaler(LossScaler.dynamicBuilder().optInitialScale(256f).build())
                        .optAccumulationSteps(4);
        if (ops() != null) {
            builder.optGradientOps(ops());
        }
        ClippingTrainingListener guard = builder.build();
        InjectingLoss loss = InjectingLoss.overflowing();
        try (TinyRegression problem = new TinyRegression(engineName(), 41)) {
            Optimizer adam = Optimizer.adam().optLearningRateTracker(Tracker.fixed(0.01f)).build();
            try (Trainer trainer =
                            problem.newTrainer(GradGuard.trainingConfig(loss, adam, guard), 41);
                    NDManager manager = trainer.getManager().newSubManager()) {
                List<Batch> micro = problem.explicitBatches(manager, 4, 2);
                for (int i = 0; i < micro.size(); i++) {
                    if (skipMicro.contains(i)) {
                        continue;
                    }
                    loss.arm(faultMicro.contains(i));
                    EasyTrain.trainBatch(trainer, micro.get(i));
                    trainer.step();
                }
            }
            if (!faultMicro.isEmpty()) {
                assertEquals(guard.getStatistics().skippedSteps(), 1);
            }
            return problem.weights();
        }
    }

    @Test
    public void anOverflowInOneMicroBatchSkipsItsWholeWindow() {
        // Micro-batches 8..11 form window 2; a fault in micro-batch 9 must discard all four and
        // leave nothing behind: the run equals one where window 2 never existed.
        List<float[]> faulted = windows(Set.of(), Set.of(9));
        List<float[]> removed = windows(Set.of(8, 9, 10, 11), Set.of());
        ClippingEndToEndKit.assertBitIdentical(faulted, removed);
    }

    @Test
    public void aFaultInTheVeryFirstMicroBatchDoesNotTripDjlsZeroGradientCheck() {
        List<float[]> faulted = windows(Set.of(), Set.of(0));
        List<float[]> removed = windows(Set.of(0, 1, 2, 3), Set.of());
        ClippingEndToEndKit.assertBitIdentical(faulted, removed);
    }

    static void assertClose(
            List<float[]> actual, List<float[]> expected, double rtol, String what) {
        assertEquals(actual.size(), expected.size());
        for (int i = 0; i < actual.size(); i++) {
            for (int j = 0; j < actual.get(i).length; j++) {
                double a = actual.get(i)[j];
                double e = expected.get(i)[j];
                assertTrue(
                        Math.abs(a - e) <= rtol * Math.abs(e) + 1e-6,
                        what + ": parameter " + i + " element " + j + ": " + a + " vs " + e);
            }
        }
    }
}
