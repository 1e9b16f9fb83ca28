package io.gradguard.it.review;

import static org.testng.Assert.assertEquals;
import static org.testng.Assert.assertFalse;

import ai.djl.ndarray.NDManager;
import ai.djl.training.EasyTrain;
import ai.djl.training.Trainer;
import ai.djl.training.listener.EvaluatorTrainingListener;
import ai.djl.training.loss.Loss;
import io.gradguard.ClipStrategy;
import io.gradguard.ClippingTrainingListener;
import io.gradguard.GradGuard;
import io.gradguard.LossScaler;
import io.gradguard.StepReport;
import org.testng.annotations.Test;

/**
 * DJL's own validation ({@code EasyTrain.validateBatch}, whose loss {@code
 * EvaluatorTrainingListener} computes through the accumulators) on a batch with a NaN label leaves
 * the next training step clean. On {@link OneUnit} with {@code (x=1, y=1)}: a first step ({@code g
 * = -1}) gives {@code w = b = 0.1}; after the validation the second step ({@code pred = 0.2},
 * {@code g = -0.8}) gives {@code w = 0.18} and is neither skipped nor a data fault.
 */
public class ValidationBatchPyTorchRepro {

    @Test
    public void aNanValidationLossDoesNotMarkTheNextStep() {
        ClippingTrainingListener guard =
                ClippingTrainingListener.builder()
                        .setStrategy(ClipStrategy.globalNorm(1000f))
                        .optLossScaler(LossScaler.dynamic())
                        .build();
        try (OneUnit unit = new OneUnit("PyTorch");
                Trainer trainer =
                        unit.newTrainer(
                                GradGuard.trainingConfig(Loss.l2Loss(), OneUnit.sgd(), guard)
                                        .addTrainingListeners(new EvaluatorTrainingListener()))) {
            try (NDManager batches = trainer.getManager().newSubManager()) {
                EasyTrain.trainBatch(trainer, unit.batch(batches, 1, 1f, 1f));
                trainer.step();
            }
            try (NDManager validation = trainer.getManager().newSubManager()) {
                EasyTrain.validateBatch(trainer, unit.batch(validation, 1, 1f, Float.NaN));
            }
            try (NDManager batches = trainer.getManager().newSubManager()) {
                EasyTrain.trainBatch(trainer, unit.batch(batches, 1, 1f, 1f));
                trainer.step();
            }
            StepReport report = guard.getLastReport().orElseThrow();
            assertFalse(report.dataFault(), report.toString());
            assertFalse(report.skipped(), report.toString());
            assertEquals(unit.weight(), 0.18f, 1e-6f, report + " b=" + unit.bias());
        }
    }
}
