package io.gradguard.internal;

import static org.testng.Assert.assertEquals;
import static org.testng.Assert.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.optimizer.Sgd;
import ai.djl.training.tracker.Tracker;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
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

    @Test
    public void advancingTheStepMakesTheCountIndependentOfTheUpdateOrder() {
        // By hand: 'lead' has trained 5 steps (numUpdate 5), 'late' has just been unfrozen. DJL's
        // updateCount gives t = max(numUpdate, own count) and raises numUpdate as it goes, so
        // 'late' sees t = 5 if updated first and t = 6 if updated after 'lead'. After advanceStep
        // both orders give 6 to both.
        assertEquals(steps(false, List.of("lead", "late")), List.of(6, 6));
        assertEquals(steps(false, List.of("late", "lead")), List.of(5, 6));
        assertEquals(steps(true, List.of("lead", "late")), List.of(6, 6));
        assertEquals(steps(true, List.of("late", "lead")), List.of(6, 6));
    }

    @Test
    public void everyCopyOfEveryParameterSeesOneStepOnSeveralDevices() {
        // DJL's parameter server updates each parameter once per device, in its hash-map order,
        // and every update raises the parameter's count: without the device count, the first
        // copy updated sees t one lower than the others, and the replicas' Adam bias corrections
        // differ. Invariant over seeded orders, lags and device counts: after advanceStep, every
        // update of a step sees the same t, and t grows from step to step.
        for (long seed = 0; seed < 200; seed++) {
            Random random = new Random(seed);
            int devices = 1 + random.nextInt(3);
            Custom optimizer = new Custom();
            List<String> ids = new ArrayList<>(List.of("a", "b", "c", "d"));
            for (String id : ids) {
                if (random.nextBoolean()) {
                    DjlOptimizerState.updateCounts(optimizer).put(id, random.nextInt(10));
                }
            }
            int max =
                    DjlOptimizerState.updateCounts(optimizer).values().stream()
                            .reduce(0, Math::max);
            DjlOptimizerState.setNumUpdate(optimizer, max);
            int previous = -1;
            for (int step = 0; step < 4; step++) {
                Collections.shuffle(ids, random);
                DjlOptimizerState.advanceStep(optimizer, ids, devices);
                Set<Integer> seen = new TreeSet<>();
                for (String id : ids) {
                    for (int d = 0; d < devices; d++) {
                        seen.add(optimizer.count(id));
                    }
                }
                String repro = "seed " + seed + ", devices " + devices + ", step " + step;
                assertEquals(seen.size(), 1, repro + ": t seen " + seen);
                int t = seen.iterator().next();
                assertTrue(t > previous, repro + ": t " + t + " after " + previous);
                previous = t;
            }
        }
    }

    /** Runs one step updating {@code order}; returns the t each update saw, in that order. */
    private static List<Integer> steps(boolean advance, List<String> order) {
        Custom optimizer = new Custom();
        DjlOptimizerState.updateCounts(optimizer).put("lead", 5);
        DjlOptimizerState.setNumUpdate(optimizer, 5);
        if (advance) {
            DjlOptimizerState.advanceStep(optimizer, List.of("lead", "late"), 1);
        }
        return order.stream().map(optimizer::count).toList();
    }

    /** A user's optimizer: its state is unknown, so it has no kind. */
    private static final class Custom extends Optimizer {
        Custom() {
            super(new Builder());
        }

        @Override
        public void update(String parameterId, NDArray weight, NDArray grad) {}

        int count(String parameterId) {
            return updateCount(parameterId);
        }

        private static final class Builder extends OptimizerBuilder<Builder> {
            @Override
            protected Builder self() {
                return this;
            }
        }
    }
}
