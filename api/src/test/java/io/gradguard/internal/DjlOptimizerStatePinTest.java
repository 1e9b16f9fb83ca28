package io.gradguard.internal;

import static org.testng.Assert.assertEquals;
import static org.testng.Assert.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.optimizer.Sgd;
import ai.djl.training.tracker.Tracker;
import java.util.List;
import java.util.Optional;
import org.testng.annotations.Test;

/**
 * Pins the optimizer-state access to the DJL version it was written against: on a DJL upgrade these
 * tests fail, naming the version or the field that changed, before any checkpoint silently misses
 * state.
 */
public class DjlOptimizerStatePinTest {

    @Test
    public void theDjlOnTheClassPathIsThePinnedVersion() {
        assertEquals(
                Engine.getDjlVersion(),
                DjlOptimizerState.PINNED_DJL_VERSION,
                "GradGuard reads DJL's optimizer state through private fields of DJL "
                        + DjlOptimizerState.PINNED_DJL_VERSION
                        + " (DjlOptimizerState). Check those fields in the source of DJL "
                        + Engine.getDjlVersion()
                        + " and update the class and PINNED_DJL_VERSION.");
    }

    @Test
    public void everyPinnedFieldExistsWithItsType() {
        DjlOptimizerState.checkFields(); // throws naming the field and the version
    }

    @Test
    public void kindsAreTheExactDjlClasses() {
        assertEquals(DjlOptimizerState.kindOf(Optimizer.adamW().build()), Optional.of("adamW"));
        assertEquals(DjlOptimizerState.kindOf(Optimizer.adam().build()), Optional.of("adam"));
        Sgd sgd = Optimizer.sgd().setLearningRateTracker(Tracker.fixed(0.1f)).build();
        assertEquals(DjlOptimizerState.kindOf(sgd), Optional.of("sgd"));
        assertEquals(DjlOptimizerState.kindOf(new Custom()), Optional.empty());
        assertEquals(DjlOptimizerState.slots("adamW"), List.of("means", "variances"));
        assertEquals(DjlOptimizerState.slots("sgd"), List.of("momentumStates"));
    }

    @Test
    public void theFieldsAreLive() {
        Optimizer adamW = Optimizer.adamW().build();
        assertTrue(DjlOptimizerState.updateCounts(adamW).isEmpty());
        assertTrue(DjlOptimizerState.slot(adamW, "means").isEmpty());
        DjlOptimizerState.updateCounts(adamW).put("id", 4);
        DjlOptimizerState.setNumUpdate(adamW, 4);
        assertEquals(DjlOptimizerState.numUpdate(adamW), 4);
        assertEquals(DjlOptimizerState.updateCounts(adamW).get("id"), Integer.valueOf(4));
    }

    /** A user's optimizer: its state is unknown, so it has no kind. */
    private static final class Custom extends Optimizer {
        Custom() {
            super(new Builder());
        }

        @Override
        public void update(String parameterId, NDArray weight, NDArray grad) {}

        private static final class Builder extends OptimizerBuilder<Builder> {
            @Override
            protected Builder self() {
                return this;
            }
        }
    }
}
