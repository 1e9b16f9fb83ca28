package io.gradguard.it.silent;

import static org.testng.Assert.assertEquals;
import static org.testng.Assert.assertFalse;
import static org.testng.Assert.assertTrue;

import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;
import ai.djl.training.DefaultTrainingConfig;
import ai.djl.training.EasyTrain;
import ai.djl.training.Trainer;
import ai.djl.training.loss.Loss;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.Tracker;
import io.gradguard.ClippingTrainingListener;
import io.gradguard.GuardedOptimizer;
import io.gradguard.ScaledLoss;
import io.gradguard.StepReport;
import io.gradguard.clip.ClipStrategy;
import io.gradguard.scale.LossScaler;
import java.util.Arrays;
import java.util.Map;
import java.util.function.IntConsumer;
import org.testng.annotations.DataProvider;
import org.testng.annotations.Test;

/**
 * The guarded set follows the trainable set: parameters frozen or unfrozen on a live trainer, and
 * tied weights. Every check compares the guard with a host computation ({@link GradientProbe}) or
 * with the update bound of plain SGD under global-norm clipping: {@code ||w' - w|| = lr *
 * ||clip(g)|| <= lr * c}.
 */
public abstract class TrainableSetKit {

    private static final float LR = 0.1f;
    private static final float MAX_NORM = 1f;

    /** Returns the engine name to test. */
    protected abstract String engineName();

    @DataProvider
    public Object[][] scalers() {
        return new Object[][] {{"none"}, {"fixed(1024)"}, {"dynamic()"}};
    }

    private static LossScaler scaler(String name) {
        return switch (name) {
            case "none" -> LossScaler.none();
            case "fixed(1024)" -> LossScaler.fixed(1024f);
            default -> LossScaler.dynamic();
        };
    }

    private static Optimizer sgd() {
        return Optimizer.sgd().setLearningRateTracker(Tracker.fixed(LR)).build();
    }

    /** One guarded run: {@code steps} optimizer steps, {@code between} called before each batch. */
    private final class Run implements AutoCloseable {
        final GuardHarness harness;
        final GradientProbe probe = new GradientProbe();
        final ClippingTrainingListener guard;
        final Trainer trainer;
        final NDManager batches;

        Run(long seed, boolean tied, LossScaler scaler, int accumulation, float maxNorm) {
            harness = new GuardHarness(engineName(), seed, tied);
            guard =
                    ClippingTrainingListener.builder()
                            .setStrategy(ClipStrategy.globalNorm(maxNorm))
                            .optLossScaler(scaler)
                            .optAccumulationSteps(accumulation)
                            .build();
            DefaultTrainingConfig config =
                    new DefaultTrainingConfig(new ScaledLoss(Loss.l2Loss(), scaler))
                            .optOptimizer(new GuardedOptimizer(sgd(), guard))
                            .addTrainingListeners(probe, guard);
            trainer = harness.newTrainer(config, seed);
            batches = trainer.getManager().newSubManager();
        }

        /** Trains one batch; returns the step's report when it ended a window, else null. */
        StepReport batch(int index) {
            long before = guard.getStepCount();
            EasyTrain.trainBatch(trainer, harness.batch(batches, index));
            trainer.step();
            return guard.getStepCount() > before ? guard.getLastReport().orElseThrow() : null;
        }

        @Override
        public void close() {
            batches.close();
            trainer.close();
            harness.close();
        }
    }

    /** Checks the norm and the update bound of every step; {@code change} runs before batch i. */
    private int checkEveryStep(Run run, int batches, int accumulation, IntConsumer change) {
        int applied = 0;
        Map<Parameter, float[]> before = run.harness.weights();
        for (int i = 0; i < batches; i++) {
            change.accept(i);
            StepReport report = run.batch(i);
            if (report == null) {
                continue;
            }
            Map<Parameter, float[]> after = run.harness.weights();
            String where = engineName() + " step " + report.step() + ": " + report;
            assertFalse(report.skipped(), where);
            double expected = run.probe.norm((double) report.lossScale() * accumulation);
            assertEquals(report.totalNorm(), expected, expected * 1e-5 + 1e-6, where);
            double moved = GuardHarness.distance(before, after);
            assertTrue(moved <= LR * MAX_NORM * (1 + 1e-5), where + " moved " + moved);
            before = after;
            applied++;
        }
        return applied;
    }

    @Test(dataProvider = "scalers")
    public void aLayerUnfrozenMidRunIsClippedUnscaledAndCounted(String scalerName) {
        try (Run run = new Run(11, false, scaler(scalerName), 1, MAX_NORM)) {
            Parameter weight = run.harness.firstLayer().getParameters().get("weight");
            float[] frozen = run.harness.weights().get(weight);
            run.harness.firstLayer().freezeParameters(true);
            int applied =
                    checkEveryStep(
                            run,
                            12,
                            1,
                            i -> {
                                if (i == 3) {
                                    assertTrue(
                                            Arrays.equals(
                                                    run.harness.weights().get(weight), frozen),
                                            "a frozen layer must not move");
                                    run.harness.firstLayer().freezeParameters(false);
                                }
                            });
            assertEquals(applied, 12);
            assertFalse(
                    Arrays.equals(run.harness.weights().get(weight), frozen),
                    "the unfrozen layer must train");
        }
    }

    @Test
    public void aNanInAnUnfrozenLayerIsFoundAndSkipped() {
        try (Run run = new Run(12, false, LossScaler.fixed(1024f), 1, MAX_NORM)) {
            Parameter weight = run.harness.firstLayer().getParameters().get("weight");
            run.harness.firstLayer().freezeParameters(true);
            for (int i = 0; i < 3; i++) {
                run.batch(i);
            }
            run.harness.firstLayer().freezeParameters(false);
            run.batch(3);
            Map<Parameter, float[]> before = run.harness.weights();
            run.probe.poison(weight, true);
            StepReport report = run.batch(4);
            run.probe.poison(weight, false);
            assertTrue(report.nonFinite() && report.skipped(), engineName() + " " + report);
            assertFalse(report.dataFault(), "a finite loss: an overflow, not a data fault");
            Map<Parameter, float[]> after = run.harness.weights();
            for (Parameter p : before.keySet()) {
                assertTrue(Arrays.equals(before.get(p), after.get(p)), p.getName());
            }
            assertTrue(GuardHarness.allFinite(after));
        }
    }

    @Test
    public void aLayerFrozenMidRunLeavesTheNormAndStaysPut() {
        try (Run run = new Run(13, false, LossScaler.none(), 1, MAX_NORM)) {
            Parameter weight = run.harness.firstLayer().getParameters().get("weight");
            float[][] atFreeze = new float[1][];
            checkEveryStep(
                    run,
                    10,
                    1,
                    i -> {
                        if (i == 4) {
                            run.harness.firstLayer().freezeParameters(true);
                            atFreeze[0] = run.harness.weights().get(weight);
                        }
                    });
            assertTrue(Arrays.equals(run.harness.weights().get(weight), atFreeze[0]));
        }
    }

    @Test
    public void aLayerUnfrozenInsideAWindowJoinsThatWindow() {
        // Documented rule: the window's norm covers every parameter trainable when the window
        // ends; a parameter unfrozen inside it contributes the micro-batches since, divided by the
        // whole window's count, as PyTorch's accumulation would.
        try (Run run = new Run(14, false, LossScaler.fixed(256f), 2, MAX_NORM)) {
            run.harness.firstLayer().freezeParameters(true);
            int applied =
                    checkEveryStep(
                            run,
                            12,
                            2,
                            i -> {
                                if (i == 5) { // the second micro-batch of window 2
                                    run.harness.firstLayer().freezeParameters(false);
                                }
                            });
            assertEquals(applied, 6);
        }
    }

    @Test
    public void aLayerFrozenInsideAWindowLeavesThatWindow() {
        try (Run run = new Run(15, false, LossScaler.fixed(256f), 2, MAX_NORM)) {
            checkEveryStep(
                    run,
                    12,
                    2,
                    i -> {
                        if (i == 5) {
                            run.harness.firstLayer().freezeParameters(true);
                        }
                        if (i == 9) { // unfrozen again: no stale gradient may come back
                            run.harness.firstLayer().freezeParameters(false);
                        }
                    });
        }
    }

    @Test
    public void tiedWeightsAreCountedUnscaledAndClippedOnce() {
        try (Run run = new Run(16, true, LossScaler.fixed(1024f), 1, MAX_NORM)) {
            assertEquals(checkEveryStep(run, 10, 1, i -> {}), 10);
        }
    }

    @Test
    public void tiedWeightsTrainTheSameWithAndWithoutAScale() {
        // Powers of two scale and unscale exactly: without clipping (a huge threshold) the two
        // runs must agree bit for bit. Unscaling the tied weight twice would shrink its update
        // 1024-fold.
        float[][] results = new float[2][];
        for (int r = 0; r < 2; r++) {
            LossScaler scaler = r == 0 ? LossScaler.fixed(1024f) : LossScaler.none();
            try (Run run = new Run(17, true, scaler, 1, 1e30f)) {
                for (int i = 0; i < 6; i++) {
                    run.batch(i);
                }
                results[r] =
                        run.harness.weights().values().stream()
                                .reduce(
                                        new float[0],
                                        (a, b) -> {
                                            float[] c = Arrays.copyOf(a, a.length + b.length);
                                            System.arraycopy(b, 0, c, a.length, b.length);
                                            return c;
                                        });
            }
        }
        assertTrue(Arrays.equals(results[0], results[1]), engineName());
    }
}
