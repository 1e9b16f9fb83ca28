package io.gradguard.it.misuse;

import static org.testng.Assert.assertTrue;
import static org.testng.Assert.expectThrows;

import io.gradguard.ClippingTrainingListener;
import io.gradguard.NonFinitePolicy;
import io.gradguard.clip.ClipStrategy;
import io.gradguard.scale.LossScaler;
import org.testng.annotations.Test;

/**
 * {@link NonFinitePolicy#PROPAGATE} with a dynamic loss scaler. An overflow of the scaled gradients
 * is an artefact of the scale (the true gradient is finite), and backing off from it is how a
 * dynamic scaler finds its range; writing it into the weights destroys the model. On {@link
 * OneUnit} with {@code (x=1, y=11)} the true gradients are {@code -11}; the scaled loss {@code 60.5
 * * 8e37} overflows float32, so the scaled gradients are infinite. Either the combination is
 * refused when the listener is built.
 */
public abstract class PropagateWithScalerKit {

    /** Returns the engine name to test. */
    protected abstract String engineName();

    @Test
    public void propagateWithALossScalerIsRefusedAtBuild() {
        IllegalStateException e =
                expectThrows(
                        IllegalStateException.class,
                        () ->
                                ClippingTrainingListener.builder()
                                        .setStrategy(ClipStrategy.globalNorm(1000f))
                                        .optLossScaler(
                                                LossScaler.dynamicBuilder()
                                                        .optInitialScale(8e37f)
                                                        .build())
                                        .optNonFinitePolicy(NonFinitePolicy.PROPAGATE)
                                        .build());
        assertTrue(e.getMessage().contains("PROPAGATE"), engineName() + ": " + e.getMessage());
    }
}
