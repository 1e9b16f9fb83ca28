package io.gradguard.it;

import static org.testng.Assert.assertEquals;
import static org.testng.Assert.assertFalse;
import static org.testng.Assert.assertTrue;
import static org.testng.Assert.expectThrows;

import ai.djl.TrainingDivergedException;
import ai.djl.ndarray.NDManager;
import ai.djl.training.DefaultTrainingConfig;
import ai.djl.training.EasyTrain;
import ai.djl.training.Trainer;
import ai.djl.training.dataset.Batch;
import ai.djl.training.loss.Loss;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.Tracker;
import io.gradguard.ClippingTrainingListener;
import io.gradguard.GradGuard;
import io.gradguard.NonFinitePolicy;
import io.gradguard.StepReport;
import io.gradguard.clip.ClipStrategy;
import io.gradguard.clip.NonFiniteGradientException;
import io.gradguard.scale.LossScaler;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.testng.annotations.Test;

/**
 * Loss scaling and step skipping on one engine. Scales are powers of two, so scaling and unscaling
 * are exact in float32 and a scaled run can be compared bit for bit with an unscaled one.
 */
public abstract class MixedPrecisionKit {

    /** Returns the engine name to test. */
    protected abstract String engineName();

    private static Optimizer adam() {
        return Optimizer.adam().optLearningRateTracker(Tracker.fixed(0.01f)).build();
    }

    /** Runs the given global batch indices of 2 epochs through the guard, in order. */
    private List<float[]> run(
            ClippingTrainingListener guard,
            Loss loss,
            Set<Integer> skipBatches,
            Set<Integer> faultBatches,
            List<StepReport> reports) {
        try (TinyRegression problem = new TinyRegression(engineName(), 21)) {
            DefaultTrainingConfig config = GradGuard.trainingConfig(loss, adam(), guard);
            try (Trainer trainer = problem.newTrainer(config, 21);
                    NDManager batches = trainer.getManager().newSubManager()) {
                List<Batch> all = problem.explicitBatches(batches, TinyRegression.BATCH, 2);
                for (int i = 0; i < all.size(); i++) {
                    if (skipBatches.contains(i)) {
                        continue;
                    }
                    if (loss instanceof InjectingLoss injecting) {
                        injecting.arm(faultBatches.contains(i));
                    }
                    EasyTrain.trainBatch(trainer, all.get(i));
                    trainer.step();
                    guard.getLastReport().ifPresent(reports::add);
                }
            }
            return problem.weights();
        }
    }

    private static ClippingTrainingListener guard(LossScaler scaler, float maxNorm) {
        return ClippingTrainingListener.builder()
                .setStrategy(ClipStrategy.globalNorm(maxNorm))
                .optLossScaler(scaler)
                .build();
    }

    @Test
    public void overflowStepsAreSkippedAsIfTheirBatchesNeverExisted() {
        LossScaler scaler = LossScaler.dynamicBuilder().optInitialScale(1024f).build();
        List<StepReport> reports = new ArrayList<>();
        List<float[]> faulted =
                run(
                        guard(scaler, 2f),
                        InjectingLoss.overflowing(),
                        Set.of(),
                        Set.of(2, 5),
                        reports);
        List<float[]> clean =
                run(
                        guard(LossScaler.dynamicBuilder().optInitialScale(1024f).build(), 2f),
                        InjectingLoss.overflowing(),
                        Set.of(2, 5),
                        Set.of(),
                        new ArrayList<>());
        // Skipped: no weight, Adam moment or update-count change (Adam's bias correction depends
        // on the count, so any change would show in later steps).
        ClippingEndToEndKit.assertBitIdentical(faulted, clean);
        assertEquals(reports.size(), 8);
        for (StepReport r : reports) {
            boolean fault = r.step() == 2 || r.step() == 5;
            assertEquals(r.skipped(), fault, "step " + r.step());
            assertEquals(r.nonFinite(), fault, "step " + r.step());
        }
        // 1024, halved at each of the two overflows; the scale used by step 3 is 512.
        assertEquals(reports.get(2).lossScale(), 1024f);
        assertEquals(reports.get(3).lossScale(), 512f);
        assertEquals(scaler.scale(), 256f);
        for (float[] w : faulted) {
            for (float v : w) {
                assertTrue(Float.isFinite(v));
            }
        }
    }

    @Test
    public void clippedUpdateIsTheSameWithAndWithoutAScale() {
        // The threshold is in true-gradient units: S = 1024 and S = 1 clip the same gradient.
        List<StepReport> scaledReports = new ArrayList<>();
        List<float[]> scaled =
                run(
                        guard(LossScaler.fixed(1024f), 0.5f),
                        Loss.l2Loss(),
                        Set.of(),
                        Set.of(),
                        scaledReports);
        List<float[]> plain =
                run(
                        guard(LossScaler.none(), 0.5f),
                        Loss.l2Loss(),
                        Set.of(),
                        Set.of(),
                        new ArrayList<>());
        ClippingEndToEndKit.assertBitIdentical(scaled, plain);
        assertTrue(scaledReports.stream().allMatch(StepReport::clipped), "clipping must be active");
    }

    @Test
    public void errorPolicyNamesTheParametersAndUpdatesNothing() {
        ClippingTrainingListener guard =
                ClippingTrainingListener.builder()
                        .setStrategy(ClipStrategy.globalNorm(1f))
                        .optNonFinitePolicy(NonFinitePolicy.ERROR)
                        .build();
        NonFiniteGradientException e =
                expectThrows(
                        NonFiniteGradientException.class,
                        () ->
                                run(
                                        guard,
                                        InjectingLoss.nonFinite(),
                                        Set.of(),
                                        Set.of(1),
                                        new ArrayList<>()));
        assertTrue(e.getMessage().contains("step 1"), e.getMessage());
        assertTrue(e.getMessage().contains("weight"), e.getMessage());
    }

    @Test
    public void tooManySkipsInARowIsDivergence() {
        ClippingTrainingListener guard =
                ClippingTrainingListener.builder()
                        .setStrategy(ClipStrategy.globalNorm(1f))
                        .optNonFinitePolicy(NonFinitePolicy.SKIP_STEP)
                        .optMaxConsecutiveSkips(3)
                        .build();
        TrainingDivergedException e =
                expectThrows(
                        TrainingDivergedException.class,
                        () ->
                                run(
                                        guard,
                                        InjectingLoss.nonFinite(),
                                        Set.of(),
                                        Set.of(1, 2, 3, 4),
                                        new ArrayList<>()));
        assertTrue(e.getMessage().contains("3 consecutive"), e.getMessage());
        assertEquals(guard.getStatistics().skippedSteps(), 3);
    }

    @Test
    public void scalingWithoutTheInstallerIsAClearError() {
        ClippingTrainingListener guard = guard(LossScaler.dynamic(), 1f);
        try (TinyRegression problem = new TinyRegression(engineName(), 5);
                Trainer trainer = problem.newTrainer(adam(), 5, guard)) {
            IllegalStateException e =
                    expectThrows(IllegalStateException.class, () -> problem.fit(trainer, 1));
            assertTrue(e.getMessage().contains("GradGuard.trainingConfig"), e.getMessage());
        }
    }

    @Test
    public void loggedLossStaysUnscaled() {
        float[] losses = new float[2];
        for (int run = 0; run < 2; run++) {
            ClippingTrainingListener guard =
                    guard(run == 0 ? LossScaler.fixed(4096f) : LossScaler.none(), 1f);
            try (TinyRegression problem = new TinyRegression(engineName(), 6)) {
                DefaultTrainingConfig config =
                        GradGuard.trainingConfig(Loss.l2Loss(), adam(), guard)
                                .addTrainingListeners(GradGuard.loggingListeners());
                try (Trainer trainer = problem.newTrainer(config, 6)) {
                    trainer.setMetrics(new ai.djl.metric.Metrics());
                    problem.fit(trainer, 2);
                    losses[run] = trainer.getTrainingResult().getTrainLoss();
                }
            }
        }
        assertFalse(Float.isNaN(losses[0]));
        assertEquals(losses[0], losses[1], "the logged loss must not carry the scale");
    }
}
