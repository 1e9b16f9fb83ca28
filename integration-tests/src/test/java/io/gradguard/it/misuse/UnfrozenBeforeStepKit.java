package io.gradguard.it.misuse;

import static org.testng.Assert.assertEquals;

import ai.djl.ndarray.NDManager;
import ai.djl.training.EasyTrain;
import ai.djl.training.Trainer;
import ai.djl.training.loss.Loss;
import io.gradguard.ClippingTrainingListener;
import io.gradguard.GradGuard;
import io.gradguard.clip.ClipStrategy;
import io.gradguard.scale.LossScaler;
import org.testng.annotations.Test;

/**
 * A parameter unfrozen between the listener's decision and {@code Trainer.step()} (as a listener
 * registered after the guard may do in its {@code onTrainingBatch}) was frozen during that batch's
 * backward pass: it has no gradient for this step, and the guard neither unscaled nor clipped
 * anything for it. On {@link OneUnit} with {@code (x=1, y=1)} and a fixed scale 1024:
 *
 * <pre>
 * batch 1: pred 0, g_w = g_b = -1; b frozen before the step    step: w = 0.1, b = 0
 * batch 2: b frozen; pred 0.1, g_w = -0.9; b unfrozen before the step
 *                                                              step: w = 0.19, b must stay 0
 * </pre>
 *
 * A stale gradient of b from batch 1 reaching the optimizer gives {@code b = 0.1}.
 */
public abstract class UnfrozenBeforeStepKit {

    /** Returns the engine name to test. */
    protected abstract String engineName();

    @Test
    public void aParameterUnfrozenAfterTheDecisionGetsNoStaleUpdate() {
        ClippingTrainingListener guard =
                ClippingTrainingListener.builder()
                        .setStrategy(ClipStrategy.globalNorm(1000f))
                        .optLossScaler(LossScaler.fixed(1024f))
                        .build();
        try (OneUnit unit = new OneUnit(engineName());
                Trainer trainer =
                        unit.newTrainer(
                                GradGuard.trainingConfig(Loss.l2Loss(), OneUnit.sgd(), guard))) {
            try (NDManager batch = trainer.getManager().newSubManager()) {
                EasyTrain.trainBatch(trainer, unit.batch(batch, 1, 1f, 1f));
                unit.biasParameter().freeze(true);
                trainer.step();
            }
            assertEquals(unit.weight(), 0.1f, 1e-6f);
            assertEquals(unit.bias(), 0f, 0f);
            try (NDManager batch = trainer.getManager().newSubManager()) {
                EasyTrain.trainBatch(trainer, unit.batch(batch, 1, 1f, 1f));
                unit.biasParameter().freeze(false);
                trainer.step();
            }
            assertEquals(unit.weight(), 0.19f, 1e-6f, engineName());
            assertEquals(unit.bias(), 0f, 1e-6f, engineName() + " stale update of b");
        }
    }
}
