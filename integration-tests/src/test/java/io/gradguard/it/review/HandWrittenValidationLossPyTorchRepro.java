package io.gradguard.it.review;

import static org.testng.Assert.assertEquals;
import static org.testng.Assert.assertFalse;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.EasyTrain;
import ai.djl.training.Trainer;
import ai.djl.training.loss.Loss;
import io.gradguard.ClipStrategy;
import io.gradguard.ClippingTrainingListener;
import io.gradguard.GradGuard;
import io.gradguard.LossScaler;
import io.gradguard.StepReport;
import org.testng.annotations.Test;

/**
 * A custom loop that computes a validation loss by hand with {@code trainer.getLoss().evaluate}
 * (outside any gradient collector) on a sample whose prediction is NaN. That loss belongs to no
 * training step, so it must not make the next, clean training step a data fault. On {@link OneUnit}
 * with {@code (x=1, y=1)} the clean step has {@code g_w = -1}, so it moves {@code w} to 0.1 and is
 * neither skipped nor a data fault.
 */
public class HandWrittenValidationLossPyTorchRepro {

    @Test
    public void aNanLossOutsideTrainingDoesNotMarkTheNextStep() {
        ClippingTrainingListener guard =
                ClippingTrainingListener.builder()
                        .setStrategy(ClipStrategy.globalNorm(1000f))
                        .optLossScaler(LossScaler.dynamic())
                        .build();
        try (OneUnit unit = new OneUnit("PyTorch");
                Trainer trainer =
                        unit.newTrainer(
                                GradGuard.trainingConfig(Loss.l2Loss(), OneUnit.sgd(), guard))) {
            try (NDManager validation = trainer.getManager().newSubManager()) {
                NDArray label = validation.create(new float[] {1f}, new Shape(1, 1));
                NDArray prediction = validation.create(new float[] {Float.NaN}, new Shape(1, 1));
                trainer.getLoss().evaluate(new NDList(label), new NDList(prediction));
            }
            try (NDManager batches = trainer.getManager().newSubManager()) {
                EasyTrain.trainBatch(trainer, unit.batch(batches, 1, 1f, 1f));
                trainer.step();
            }
            StepReport report = guard.getLastReport().orElseThrow();
            assertFalse(report.dataFault(), report.toString());
            assertFalse(report.skipped(), report.toString());
            assertEquals(unit.weight(), 0.1f, 1e-6f);
        }
    }
}
