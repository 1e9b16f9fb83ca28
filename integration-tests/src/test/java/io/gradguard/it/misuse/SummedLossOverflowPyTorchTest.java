package io.gradguard.it.misuse;

import static org.testng.Assert.assertEquals;
import static org.testng.Assert.assertFalse;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.training.EasyTrain;
import ai.djl.training.Trainer;
import ai.djl.training.loss.Loss;
import io.gradguard.ClippingTrainingListener;
import io.gradguard.GradGuard;
import io.gradguard.NonFinitePolicy;
import io.gradguard.StepReport;
import io.gradguard.clip.ClipStrategy;
import org.testng.annotations.Test;

/**
 * A per-sample (unreduced) loss whose every value is finite is not a data fault, however large the
 * sum of its values. Here each of 4 samples has loss {@code (pred - y)^2 + 1e38}: finite, but the
 * four sum to {@code 4e38 > Float.MAX_VALUE}. (The realistic case is a float16 per-sample loss: 4
 * samples of 20000 sum past 65504.) The gradients are small: on {@link OneUnit} with {@code (x=1,
 * y=1)} four times, {@code g_w = g_b = 4 * 2 * (0 - 1) = -8}, so the step gives {@code w = b =
 * 0.8}.
 */
public class SummedLossOverflowPyTorchTest {

    /** {@code (pred - y)^2 + 1e38} per sample, not reduced. */
    private static final class LargeFiniteLoss extends Loss {
        LargeFiniteLoss() {
            super("large-finite");
        }

        @Override
        public NDArray evaluate(NDList labels, NDList predictions) {
            return predictions
                    .singletonOrThrow()
                    .sub(labels.singletonOrThrow())
                    .square()
                    .add(1e38f);
        }
    }

    @Test
    public void finiteLossValuesAreNoDataFault() {
        ClippingTrainingListener guard =
                ClippingTrainingListener.builder()
                        .setStrategy(ClipStrategy.globalNorm(1000f))
                        .optNonFinitePolicy(NonFinitePolicy.SKIP_STEP)
                        .build();
        try (OneUnit unit = new OneUnit("PyTorch");
                Trainer trainer =
                        unit.newTrainer(
                                GradGuard.trainingConfig(
                                        new LargeFiniteLoss(), OneUnit.sgd(), guard));
                NDManager batches = trainer.getManager().newSubManager()) {
            EasyTrain.trainBatch(trainer, unit.batch(batches, 4, 1f, 1f));
            trainer.step();
            StepReport report = guard.getLastReport().orElseThrow();
            assertFalse(report.dataFault(), report.toString());
            assertFalse(report.skipped(), report.toString());
            assertEquals(unit.weight(), 0.8f, 1e-5f);
            assertEquals(unit.bias(), 0.8f, 1e-5f);
        }
    }
}
