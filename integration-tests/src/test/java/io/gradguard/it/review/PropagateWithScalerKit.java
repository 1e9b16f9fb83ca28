package io.gradguard.it.review;

import static org.testng.Assert.assertTrue;

import ai.djl.ndarray.NDManager;
import ai.djl.training.EasyTrain;
import ai.djl.training.Trainer;
import ai.djl.training.loss.Loss;
import io.gradguard.ClipStrategy;
import io.gradguard.ClippingTrainingListener;
import io.gradguard.GradGuard;
import io.gradguard.LossScaler;
import io.gradguard.NonFinitePolicy;
import org.testng.annotations.Test;

/**
 * {@link NonFinitePolicy#PROPAGATE} with a dynamic loss scaler. An overflow of the scaled gradients
 * is an artefact of the scale (the true gradient is finite), and backing off from it is how a
 * dynamic scaler finds its range; writing it into the weights destroys the model. On {@link
 * OneUnit} with {@code (x=1, y=11)} the true gradients are {@code -11}; the scaled loss {@code 60.5
 * * 8e37} overflows float32, so the scaled gradients are infinite. Either the combination is
 * refused when the listener is built, or the overflowing step leaves the weights finite.
 */
public abstract class PropagateWithScalerKit {

    /** Returns the engine name to test. */
    protected abstract String engineName();

    @Test
    public void anOverflowUnderPropagateNeverWritesNonFiniteWeights() {
        ClippingTrainingListener guard;
        try {
            guard =
                    ClippingTrainingListener.builder()
                            .setStrategy(ClipStrategy.globalNorm(1000f))
                            .optLossScaler(
                                    LossScaler.dynamicBuilder().optInitialScale(8e37f).build())
                            .optNonFinitePolicy(NonFinitePolicy.PROPAGATE)
                            .build();
        } catch (IllegalStateException | IllegalArgumentException refused) {
            return; // refusing the combination is one acceptable answer
        }
        try (OneUnit unit = new OneUnit(engineName());
                Trainer trainer =
                        unit.newTrainer(
                                GradGuard.trainingConfig(Loss.l2Loss(), OneUnit.sgd(), guard));
                NDManager batches = trainer.getManager().newSubManager()) {
            EasyTrain.trainBatch(trainer, unit.batch(batches, 1, 1f, 11f));
            trainer.step();
            String where =
                    engineName()
                            + ": w="
                            + unit.weight()
                            + " b="
                            + unit.bias()
                            + " "
                            + guard.getLastReport().orElse(null);
            assertTrue(Float.isFinite(unit.weight()) && Float.isFinite(unit.bias()), where);
        }
    }
}
