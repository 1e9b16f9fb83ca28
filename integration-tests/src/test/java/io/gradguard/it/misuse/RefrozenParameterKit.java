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
import io.gradguard.spi.GradientOps;
import org.testng.annotations.Test;

/**
 * A parameter frozen inside an accumulation window leaves it and its gradient is discarded, so that
 * no stale gradient returns when it is unfrozen again (the rule in {@link
 * ClippingTrainingListener}'s javadoc). Worked by hand on {@link OneUnit} with sample {@code (x=1,
 * y=1)}, two micro-batches per window, SGD lr 0.1, no clipping:
 *
 * <pre>
 * window 1, micro 1: pred 0          g_w = -1, g_b = -1
 *           freeze b
 *           micro 2: pred 0          g_w = -1 (sum -2)      step: w = 0 - 0.1 * (-2 / 2) = 0.1
 * unfreeze b
 * window 2, micro 1: pred 0.1        g_w = -0.9, g_b = -0.9
 *           micro 2: pred 0.1        g_w = -0.9, g_b = -0.9 step: w = 0.1 + 0.09 = 0.19
 *                                                               b = 0 + 0.09 = 0.09
 * </pre>
 *
 * A stale window-1 gradient of b (-1) coming back would give b = 0 - 0.1 * (-1 - 1.8) / 2 = 0.14.
 */
public abstract class RefrozenParameterKit {

    /** Returns the engine name to test. */
    protected abstract String engineName();

    /** Returns the gradient ops to force, or null for the engine's own. */
    protected GradientOps ops() {
        return null;
    }

    @Test
    public void aParameterFrozenInsideAWindowBringsNoStaleGradientBack() {
        var builder =
                ClippingTrainingListener.builder()
                        .setStrategy(ClipStrategy.globalNorm(1000f))
                        .optLossScaler(LossScaler.fixed(256f))
                        .optAccumulationSteps(2);
        if (ops() != null) {
            builder.optGradientOps(ops());
        }
        ClippingTrainingListener guard = builder.build();
        try (OneUnit unit = new OneUnit(engineName());
                Trainer trainer =
                        unit.newTrainer(
                                GradGuard.trainingConfig(Loss.l2Loss(), OneUnit.sgd(), guard))) {
            for (int i = 0; i < 4; i++) {
                if (i == 1) {
                    unit.biasParameter().freeze(true);
                }
                if (i == 2) {
                    unit.biasParameter().freeze(false);
                }
                try (NDManager batch = trainer.getManager().newSubManager()) {
                    EasyTrain.trainBatch(trainer, unit.batch(batch, 1, 1f, 1f));
                    trainer.step();
                }
                if (i == 1) {
                    assertEquals(unit.weight(), 0.1f, 1e-6f, engineName() + " after window 1");
                    assertEquals(unit.bias(), 0f, 0f, engineName() + " frozen bias moved");
                }
            }
            assertEquals(unit.weight(), 0.19f, 1e-6f, engineName() + " weight after window 2");
            assertEquals(unit.bias(), 0.09f, 1e-6f, engineName() + " bias after window 2");
        }
    }
}
