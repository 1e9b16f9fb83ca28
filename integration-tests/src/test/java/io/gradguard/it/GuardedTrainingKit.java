package io.gradguard.it;

import static org.testng.Assert.assertEquals;
import static org.testng.Assert.assertTrue;
import static org.testng.Assert.expectThrows;

import ai.djl.Device;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.EasyTrain;
import ai.djl.training.Trainer;
import ai.djl.training.dataset.Batch;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.Tracker;
import ai.djl.translate.Batchifier;
import io.gradguard.ClippingTrainingListener;
import io.gradguard.GradGuard;
import io.gradguard.GuardedTraining;
import io.gradguard.clip.ClipStrategy;
import io.gradguard.scale.LossScaler;
import java.util.ArrayList;
import java.util.List;
import org.testng.annotations.Test;

/** {@link GuardedTraining} on one engine with one device: the same training as EasyTrain. */
public abstract class GuardedTrainingKit {

    /** Returns the engine name to test. */
    protected abstract String engineName();

    private static Optimizer adam() {
        return Optimizer.adam().optLearningRateTracker(Tracker.fixed(0.01f)).build();
    }

    private List<float[]> fit(boolean guardedLoop) throws Exception {
        ClippingTrainingListener guard =
                ClippingTrainingListener.builder()
                        .setStrategy(ClipStrategy.globalNorm(2f))
                        .optLossScaler(LossScaler.dynamicBuilder().optInitialScale(256f).build())
                        .optAccumulationSteps(3)
                        .build();
        try (TinyRegression problem = new TinyRegression(engineName(), 81)) {
            try (Trainer trainer =
                    problem.newTrainer(
                            GradGuard.trainingConfig(InjectingLoss.nonFinite(), adam(), guard)
                                    .addTrainingListeners(GradGuard.loggingListeners()),
                            81)) {
                trainer.setMetrics(new ai.djl.metric.Metrics());
                if (guardedLoop) {
                    GuardedTraining.fit(trainer, 3, problem.dataset(), problem.dataset());
                } else {
                    EasyTrain.fit(trainer, 3, problem.dataset(), problem.dataset());
                }
                // 4 batches per epoch in windows of 3: a full window and a partial one.
                assertEquals(guard.getStatistics().steps(), 6);
            }
            return problem.weights();
        }
    }

    @Test
    public void fitEqualsEasyTrainFitOnOneDevice() throws Exception {
        ClippingEndToEndKit.assertBitIdentical(fit(true), fit(false));
    }

    @Test
    public void stepTellsWhetherTheWeightsWereUpdated() {
        ClippingTrainingListener guard =
                ClippingTrainingListener.builder()
                        .setStrategy(ClipStrategy.globalNorm(2f))
                        .optLossScaler(LossScaler.fixed(64f))
                        .optAccumulationSteps(2)
                        .build();
        InjectingLoss loss = InjectingLoss.overflowing();
        List<Boolean> applied = new ArrayList<>();
        try (TinyRegression problem = new TinyRegression(engineName(), 82);
                Trainer trainer =
                        problem.newTrainer(GradGuard.trainingConfig(loss, adam(), guard), 82);
                NDManager manager = trainer.getManager().newSubManager()) {
            List<Batch> micro = problem.explicitBatches(manager, 8, 1);
            for (int i = 0; i < 6; i++) {
                loss.arm(i == 2); // poisons window 1 (micro-batches 2 and 3)
                GuardedTraining.trainBatch(trainer, micro.get(i));
                applied.add(GuardedTraining.step(trainer, guard));
            }
        }
        assertEquals(applied, List.of(false, true, false, false, false, true));
    }

    @Test
    public void badArgumentsAreRefusedBeforeAnyNativeCall() {
        try (TinyRegression problem = new TinyRegression(engineName(), 83);
                Trainer trainer =
                        problem.newTrainer(
                                Optimizer.sgd().setLearningRateTracker(Tracker.fixed(1f)).build(),
                                83);
                NDManager other =
                        NDManager.newBaseManager(
                                Device.cpu(),
                                "PyTorch".equals(engineName()) ? "MXNet" : "PyTorch")) {
            List<float[]> weights = problem.weights();
            int modelArrays = problem.modelArrays();
            IllegalArgumentException negative =
                    expectThrows(
                            IllegalArgumentException.class,
                            () -> GuardedTraining.fit(trainer, -1, problem.dataset(), null));
            assertTrue(negative.getMessage().contains("numEpoch must be >= 0, got -1"));
            Batch foreign =
                    new Batch(
                            other,
                            new NDList(other.zeros(new Shape(2, TinyRegression.FEATURES))),
                            new NDList(other.zeros(new Shape(2, 1))),
                            2,
                            Batchifier.STACK,
                            Batchifier.STACK,
                            0,
                            1);
            int otherArrays = other.getManagedArrays().size();
            IllegalArgumentException engine =
                    expectThrows(
                            IllegalArgumentException.class,
                            () -> GuardedTraining.trainBatch(trainer, foreign));
            assertTrue(engine.getMessage().contains("batch is on engine"), engine.getMessage());
            expectThrows(NullPointerException.class, () -> GuardedTraining.step(trainer, null));
            // Nothing ran: no forward, backward or update made an array or moved a weight.
            assertEquals(problem.modelArrays(), modelArrays, "arrays under the model");
            assertEquals(other.getManagedArrays().size(), otherArrays, "arrays of the batch");
            ClippingEndToEndKit.assertBitIdentical(problem.weights(), weights);
        }
    }
}
