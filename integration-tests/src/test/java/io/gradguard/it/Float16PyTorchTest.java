package io.gradguard.it;

import static org.testng.Assert.assertEquals;
import static org.testng.Assert.assertFalse;
import static org.testng.Assert.assertTrue;
import static org.testng.Assert.expectThrows;

import ai.djl.metric.Metrics;
import ai.djl.ndarray.types.DataType;
import ai.djl.training.DefaultTrainingConfig;
import ai.djl.training.Trainer;
import ai.djl.training.listener.TrainingListener;
import ai.djl.training.loss.Loss;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.Tracker;
import io.gradguard.ClippingTrainingListener;
import io.gradguard.GradGuard;
import io.gradguard.clip.ClipStrategy;
import io.gradguard.scale.LossScaler;
import java.util.List;
import org.testng.annotations.Test;

/**
 * A float16 model on the PyTorch engine (CPU): plain DJL training goes NaN (Adam's eps = 1e-8
 * underflows to 0 in float16, and 0/0 appears in the update); with dynamic loss scaling and float32
 * master weights it trains to a loss close to the float32 run.
 */
public class Float16PyTorchTest {

    private static final int EPOCHS = 8;

    private static Optimizer adam() {
        return Optimizer.adam().optLearningRateTracker(Tracker.fixed(0.01f)).build();
    }

    private static DefaultTrainingConfig guardedConfig() {
        ClippingTrainingListener guard =
                ClippingTrainingListener.builder()
                        .setStrategy(ClipStrategy.globalNorm(50f))
                        .optLossScaler(LossScaler.dynamic())
                        .build();
        return GradGuard.trainingConfig(Loss.l2Loss(), adam(), guard)
                .addTrainingListeners(GradGuard.loggingListeners());
    }

    private static float train(DataType type, boolean guarded) {
        try (TinyRegression problem = new TinyRegression("PyTorch", 8, type)) {
            DefaultTrainingConfig config;
            if (guarded) {
                config = guardedConfig();
            } else {
                config =
                        new DefaultTrainingConfig(Loss.l2Loss())
                                .optOptimizer(adam())
                                .addTrainingListeners(TrainingListener.Defaults.logging());
            }
            try (Trainer trainer = problem.newTrainer(config, 8)) {
                trainer.setMetrics(new Metrics());
                problem.fit(trainer, EPOCHS);
                List<float[]> weights = problem.weights();
                for (float[] w : weights) {
                    for (float v : w) {
                        if (!Float.isFinite(v)) {
                            return Float.NaN;
                        }
                    }
                }
                return trainer.getTrainingResult().getTrainLoss();
            }
        }
    }

    @Test
    public void plainFloat16TrainingDiverges() {
        // DJL's own divergence check stops the run on the NaN loss, or the weights end NaN.
        try {
            float loss = train(DataType.FLOAT16, false);
            assertTrue(Float.isNaN(loss), "plain float16 Adam should go NaN, got " + loss);
        } catch (IllegalStateException e) {
            // DJL's divergence check stopped the run on the NaN loss.
            assertTrue(
                    e.getCause() instanceof ai.djl.TrainingDivergedException,
                    "unexpected failure: " + e);
        }
    }

    @Test
    public void guardedFloat16TrainsLikeFloat32() {
        float fp32 = train(DataType.FLOAT32, false);
        float fp16 = train(DataType.FLOAT16, true);
        assertTrue(Float.isFinite(fp16), "guarded float16 loss " + fp16);
        assertTrue(Float.isFinite(fp32), "float32 loss " + fp32);
        assertEquals(fp16, fp32, 0.1f * fp32, "float16 " + fp16 + " vs float32 " + fp32);
    }

    @Test
    public void bfloat16IsRefusedBeforeAnyNativeCall() {
        try (TinyRegression problem = new TinyRegression("PyTorch", 8, DataType.BFLOAT16)) {
            int arrays = problem.modelArrays();
            IllegalArgumentException e =
                    expectThrows(
                            IllegalArgumentException.class,
                            () -> problem.newTrainer(guardedConfig(), 8));
            assertTrue(e.getMessage().contains("bfloat16"), e.getMessage());
            // A bfloat16 array would abort the JVM: none may exist, no parameter initialized.
            assertFalse(problem.anyParameterInitialized(), "a parameter was initialized");
            assertEquals(problem.modelArrays(), arrays, "arrays created under the model");
        }
    }
}
