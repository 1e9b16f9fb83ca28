package io.gradguard.it.review;

import static org.testng.Assert.assertEquals;
import static org.testng.Assert.expectThrows;

import ai.djl.ndarray.NDManager;
import ai.djl.training.EasyTrain;
import ai.djl.training.Trainer;
import ai.djl.training.loss.Loss;
import io.gradguard.ClipStrategy;
import io.gradguard.ClippingTrainingListener;
import io.gradguard.GradGuard;
import org.testng.annotations.Test;

/**
 * A second {@code Trainer.step()} for one batch is refused (PyTorch throws it from the step). The
 * listener may guard a new trainer once the first is closed; that new trainer, correctly used, must
 * train: on {@link OneUnit} with {@code (x=1, y=1)} from {@code w = 0.1} (after the first trainer's
 * one step, {@code g_w = -1}) the new trainer's step, with {@code g_w = 0.1 - 1 = -0.9}, gives
 * {@code w = 0.19}. The refusal, already raised, must not be raised again there.
 */
public class RefusedStepThenNewTrainerPyTorchRepro {

    @Test
    public void aRefusalDoesNotOutliveItsTrainer() {
        ClippingTrainingListener guard =
                ClippingTrainingListener.builder()
                        .setStrategy(ClipStrategy.globalNorm(1000f))
                        .build();
        try (OneUnit unit = new OneUnit("PyTorch")) {
            try (Trainer first =
                            unit.newTrainer(
                                    GradGuard.trainingConfig(Loss.l2Loss(), OneUnit.sgd(), guard));
                    NDManager batches = first.getManager().newSubManager()) {
                EasyTrain.trainBatch(first, unit.batch(batches, 1, 1f, 1f));
                first.step();
                expectThrows(IllegalStateException.class, first::step);
            }
            assertEquals(unit.weight(), 0.1f, 1e-6f);
            try (Trainer second =
                            unit.model()
                                    .newTrainer(
                                            GradGuard.trainingConfig(
                                                    Loss.l2Loss(), OneUnit.sgd(), guard));
                    NDManager batches = second.getManager().newSubManager()) {
                EasyTrain.trainBatch(second, unit.batch(batches, 1, 1f, 1f));
                second.step();
            }
            assertEquals(unit.weight(), 0.19f, 1e-6f);
        }
    }
}
