package io.gradguard.it.silent;

import static org.testng.Assert.assertEquals;
import static org.testng.Assert.assertFalse;
import static org.testng.Assert.assertNotSame;
import static org.testng.Assert.assertSame;
import static org.testng.Assert.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.DefaultTrainingConfig;
import ai.djl.training.EasyTrain;
import ai.djl.training.Trainer;
import ai.djl.training.loss.Loss;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.Tracker;
import io.gradguard.internal.TrainableParameters;
import java.util.Arrays;
import java.util.List;
import org.testng.annotations.DataProvider;
import org.testng.annotations.Test;

/**
 * On one device the gradient handles are fetched once per trainable set and reused by every step:
 * the same handle objects come back from each {@code gather}, they still see the gradient of the
 * latest backward pass (the engines accumulate into the buffer in place), a frozen or unfrozen
 * layer makes a new set with its own handles, and releasing frees the handles, not the gradients.
 */
public class GradientHandleReuseTest {

    /**
     * Supplies test parameters.
     *
     * @return both engines
     */
    @DataProvider
    public Object[][] engines() {
        return new Object[][] {{"PyTorch"}, {"MXNet"}};
    }

    /**
     * Handles are reused across steps and follow a change of the trainable set.
     *
     * @param engine the engine
     */
    @Test(dataProvider = "engines")
    public void handlesAreReusedWhileTheSetIsUnchangedAndRenewedAfterUnfreezing(String engine) {
        Optimizer sgd = Optimizer.sgd().setLearningRateTracker(Tracker.fixed(0.01f)).build();
        try (GuardHarness harness = new GuardHarness(engine, 5, false);
                Trainer trainer =
                        harness.newTrainer(
                                new DefaultTrainingConfig(Loss.l2Loss()).optOptimizer(sgd), 5);
                NDManager batches = trainer.getManager().newSubManager()) {
            EasyTrain.trainBatch(trainer, harness.batch(batches, 0));
            TrainableParameters all = TrainableParameters.of(trainer);
            List<NDArray> first;
            try (NDManager step = trainer.getManager().newSubManager()) {
                first = all.gather(step, g -> {});
            }
            EasyTrain.trainBatch(trainer, harness.batch(batches, 1));
            try (NDManager step = trainer.getManager().newSubManager()) {
                List<NDArray> second = all.gather(step, g -> {});
                assertEquals(second.size(), all.size());
                for (int i = 0; i < second.size(); i++) {
                    assertSame(second.get(i), first.get(i), "handle " + i + " is reused");
                    assertTrue(
                            Arrays.equals(
                                    second.get(i).toFloatArray(),
                                    all.primaryValues().get(i).getGradient().toFloatArray()),
                            "handle " + i + " sees the latest gradient");
                }
            }
            assertFalse(first.get(0).isReleased(), "closing a step keeps the kept handles");

            harness.firstLayer().freezeParameters(true);
            assertFalse(all.isCurrent(trainer));
            TrainableParameters frozen = TrainableParameters.of(trainer);
            assertTrue(frozen.size() < all.size(), "freezing shrinks the set");
            harness.firstLayer().freezeParameters(false);
            assertFalse(frozen.isCurrent(trainer));
            TrainableParameters unfrozen = TrainableParameters.of(trainer);
            EasyTrain.trainBatch(trainer, harness.batch(batches, 2));
            try (NDManager step = trainer.getManager().newSubManager()) {
                List<NDArray> renewed = unfrozen.gather(step, g -> {});
                assertEquals(renewed.size(), all.size(), "the unfrozen layer is back");
                for (int i = 0; i < renewed.size(); i++) {
                    assertNotSame(renewed.get(i), first.get(i), "a new set fetches new handles");
                }
            }
            all.releaseHandles();
            assertTrue(first.get(0).isReleased(), "releasing frees the kept handles");
            assertFalse(
                    all.primaryValues().get(0).getGradient().isReleased(),
                    "releasing leaves the gradients");
            frozen.releaseHandles();
            unfrozen.releaseHandles();
        }
    }
}
