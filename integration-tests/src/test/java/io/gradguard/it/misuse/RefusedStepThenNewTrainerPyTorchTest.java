package io.gradguard.it.misuse;

import static org.testng.Assert.assertEquals;
import static org.testng.Assert.expectThrows;

import ai.djl.ndarray.NDManager;
import ai.djl.training.EasyTrain;
import ai.djl.training.Trainer;
import ai.djl.training.loss.Loss;
import io.gradguard.ClippingTrainingListener;
import io.gradguard.GradGuard;
import io.gradguard.clip.ClipStrategy;
import org.testng.annotations.Test;

/**
 * A second {@code Trainer.step()} for one batch is refused (PyTorch throws it from the step). The
 * listener may guard a new trainer once the first is closed; that new trainer, correctly used, must
 * train: on {@link OneUnit} with {@code (x=1, y=1)}, the first trainer's one step ({@code g_w = g_b
 * = -1}) leaves {@code w = b = 0.1}; the new trainer's step, with {@code pred = 0.2} and {@code g_w
 * = 0.2 - 1 = -0.8}, gives {@code w = 0.18}. The refusal, already raised, must not be raised again
 * there.
 */
public class RefusedStepThenNewTrainerPyTorchTest {

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
            assertEquals(unit.weight(), 0.18f, 1e-6f);
        }
    }
}
