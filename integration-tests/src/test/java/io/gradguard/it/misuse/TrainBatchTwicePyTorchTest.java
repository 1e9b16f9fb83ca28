package io.gradguard.it.misuse;

import static org.testng.Assert.assertEquals;
import static org.testng.Assert.assertTrue;

import ai.djl.ndarray.NDManager;
import ai.djl.training.EasyTrain;
import ai.djl.training.Trainer;
import ai.djl.training.dataset.Batch;
import ai.djl.training.loss.Loss;
import io.gradguard.ClippingTrainingListener;
import io.gradguard.GradGuard;
import io.gradguard.clip.ClipStrategy;
import io.gradguard.scale.LossScaler;
import org.testng.annotations.DataProvider;
import org.testng.annotations.Test;

/**
 * Two {@code EasyTrain.trainBatch} calls before one {@code Trainer.step()}, the way DJL users
 * accumulate by hand on PyTorch (backward adds into {@code .grad}). Without a guard, or under a
 * guard without loss scaling, the step applies {@code g1 + g2}: on {@link OneUnit} with {@code
 * (x=1, y=1)} twice, {@code g_w = -1 - 1 = -2}, so {@code w = 0 - 0.1 * (-2) = 0.2}. The loss scale
 * must not change that: either the guard refuses the second batch without a step (an {@code
 * IllegalStateException} pointing to {@code optAccumulationSteps}), or the result is the same 0.2.
 * Under a scale S the first batch's gradient is unscaled at the first batch and then again at the
 * second, so it arrives divided by S: {@code w = 0.1 * (1/1024 + 1) = 0.1000977}.
 */
public class TrainBatchTwicePyTorchTest {

    @DataProvider
    public Object[][] scales() {
        return new Object[][] {{1f}, {1024f}};
    }

    @Test(dataProvider = "scales")
    public void twoBatchesBeforeOneStepDoNotDependOnTheLossScale(float scale) {
        LossScaler scaler = scale == 1f ? LossScaler.none() : LossScaler.fixed(scale);
        ClippingTrainingListener guard =
                ClippingTrainingListener.builder()
                        .setStrategy(ClipStrategy.globalNorm(1000f))
                        .optLossScaler(scaler)
                        .build();
        try (OneUnit unit = new OneUnit("PyTorch");
                Trainer trainer =
                        unit.newTrainer(
                                GradGuard.trainingConfig(Loss.l2Loss(), OneUnit.sgd(), guard));
                NDManager batches = trainer.getManager().newSubManager()) {
            Batch batch = unit.batch(batches, 1, 1f, 1f);
            EasyTrain.trainBatch(trainer, batch); // one ordinary step first: w = b = 0.1
            trainer.step();
            try {
                EasyTrain.trainBatch(trainer, batch);
                EasyTrain.trainBatch(trainer, batch);
                trainer.step();
            } catch (IllegalStateException refused) {
                assertTrue(
                        refused.getMessage().contains("optAccumulationSteps"),
                        refused.getMessage());
                assertEquals(unit.weight(), 0.1f, 1e-6f, "refused, yet the weight moved");
                return;
            }
            assertEquals(unit.weight(), 0.26f, 1e-6f, "scale " + scale);
        }
    }
}
