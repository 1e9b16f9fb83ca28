package io.gradguard;

import static org.testng.Assert.assertEquals;
import static org.testng.Assert.assertTrue;
import static org.testng.Assert.expectThrows;

import io.gradguard.clip.ClipContext;
import io.gradguard.clip.ClipOutcome;
import io.gradguard.clip.ClipStrategy;
import io.gradguard.clip.StatefulClipStrategy;
import io.gradguard.scale.LossScaler;
import io.gradguard.scale.LossScalerState;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.testng.annotations.Test;

/**
 * Restoring a listener's state: strategy state through {@link StatefulClipStrategy}, all or
 * nothing, and a clear error for a checkpoint that does not fit the listener. No engine needed.
 */
public class CheckpointRestoreTest {

    /** A stateful strategy for tests: a running count and mean of the norms it has seen. */
    static final class CountingClip implements StatefulClipStrategy {
        long seen;
        float mean;

        @Override
        public ClipOutcome apply(ClipContext context) {
            throw new UnsupportedOperationException("not trained in this test");
        }

        @Override
        public float threshold() {
            return Float.POSITIVE_INFINITY;
        }

        @Override
        public String toString() {
            return "counting()";
        }

        @Override
        public Map<String, Object> state() {
            return Map.of("seen", seen, "mean", mean);
        }

        @Override
        public void restore(Map<String, Object> state) {
            if (!state.keySet().equals(Map.of("seen", "", "mean", "").keySet())) {
                throw new IllegalArgumentException("state keys must be seen, mean; got " + state);
            }
            long s = (Long) state.get("seen");
            float m = (Float) state.get("mean");
            if (s < 0) {
                throw new IllegalArgumentException("seen must be >= 0, got " + s);
            }
            seen = s;
            mean = m;
        }
    }

    private static GuardCheckpoint withStrategyState(
            GuardCheckpoint c, String strategyClass, Map<String, String> state) {
        return new GuardCheckpoint(
                c.step(),
                c.epoch(),
                c.batchInEpoch(),
                c.consecutiveSkips(),
                c.accumulationSteps(),
                c.policy(),
                c.strategy(),
                strategyClass,
                state,
                c.scalerKind(),
                c.scalerState(),
                c.statistics());
    }

    private static GuardCheckpoint dynamicCheckpoint(String strategyClass, Map<String, String> s) {
        return new GuardCheckpoint(
                12,
                3,
                1,
                2,
                1,
                NonFinitePolicy.SKIP_STEP,
                "counting",
                strategyClass,
                s,
                GuardCheckpoint.SCALER_DYNAMIC,
                new LossScalerState(256f, 0, 0),
                new ClipStatistics(12, 3, 2, 2, 12, 4.5f));
    }

    @Test
    public void strategyStateTravelsThroughTheFile() throws IOException {
        CountingClip strategy = new CountingClip();
        strategy.seen = 41;
        strategy.mean = 0.1f;
        LossScaler scaler = LossScaler.dynamicBuilder().optInitialScale(512f).build();
        scaler.update(true); // 256
        ClippingTrainingListener saving =
                ClippingTrainingListener.builder()
                        .setStrategy(strategy)
                        .optLossScaler(scaler)
                        .build();
        Path dir = Files.createTempDirectory("gradguard-restore");
        Path file = saving.saveState(dir, "run");
        String text = Files.readString(file);
        assertTrue(text.contains("\nstrategy.state.seen=l:41\n"), text);
        // A strategy of the user's own is recorded by its class name, its only stable identity.
        assertTrue(text.contains("\nstrategy.name=" + CountingClip.class.getName() + "\n"), text);

        CountingClip fresh = new CountingClip();
        LossScaler freshScaler = LossScaler.dynamicBuilder().optInitialScale(512f).build();
        ClippingTrainingListener loading =
                ClippingTrainingListener.builder()
                        .setStrategy(fresh)
                        .optLossScaler(freshScaler)
                        .build();
        loading.loadState(dir, "run");
        assertEquals(fresh.seen, 41);
        assertEquals(fresh.mean, 0.1f);
        assertEquals(freshScaler.scale(), 256f);
        assertEquals(loading.checkpoint(), saving.checkpoint());
        Files.delete(file);
        Files.delete(dir);
    }

    @Test
    public void aFailingStrategyRestoreLeavesEverythingAsItWas() {
        CountingClip strategy = new CountingClip();
        LossScaler scaler = LossScaler.dynamicBuilder().optInitialScale(1024f).build();
        ClippingTrainingListener listener =
                ClippingTrainingListener.builder()
                        .setStrategy(strategy)
                        .optLossScaler(scaler)
                        .build();
        GuardCheckpoint before = listener.checkpoint();
        GuardCheckpoint bad =
                dynamicCheckpoint(
                        CountingClip.class.getName(), Map.of("seen", "l:-1", "mean", "f:0"));
        IllegalArgumentException e =
                expectThrows(IllegalArgumentException.class, () -> listener.restore(bad));
        assertTrue(e.getMessage().contains("seen must be >= 0, got -1"), e.getMessage());
        assertEquals(scaler.scale(), 1024f, "the scaler was rolled back");
        assertEquals(listener.checkpoint(), before);
    }

    @Test
    public void checkpointsThatDoNotFitAreRefused() {
        String counting = CountingClip.class.getName();
        Map<String, String> state = Map.of("seen", "l:1", "mean", "f:2.0");
        ClippingTrainingListener plainDynamic =
                ClippingTrainingListener.builder()
                        .setStrategy(ClipStrategy.globalNorm(1f))
                        .optLossScaler(LossScaler.dynamic())
                        .build();
        ClippingTrainingListener countingNone =
                ClippingTrainingListener.builder().setStrategy(new CountingClip()).build();
        ClippingTrainingListener countingDynamic =
                ClippingTrainingListener.builder()
                        .setStrategy(new CountingClip())
                        .optLossScaler(LossScaler.dynamic())
                        .build();
        refused(plainDynamic, dynamicCheckpoint(counting, state), "keeps none");
        refused(countingNone, dynamicCheckpoint(counting, state), "'dynamic' loss scaler");
        refused(
                countingDynamic,
                withStrategyState(dynamicCheckpoint(counting, state), "other.Strategy", state),
                "cannot be restored into");
        // A dynamic scaler refuses a state outside its own rules (hysteresis 1: streak must be 0).
        GuardCheckpoint streak =
                new GuardCheckpoint(
                        0,
                        0,
                        0,
                        0,
                        1,
                        NonFinitePolicy.SKIP_STEP,
                        "x",
                        counting,
                        state,
                        GuardCheckpoint.SCALER_DYNAMIC,
                        new LossScalerState(8f, 0, 1),
                        ClipStatistics.EMPTY);
        refused(countingDynamic, streak, "overflowStreak must be < hysteresis 1, got 1");
        // A fixed scaler refuses another scale.
        ClippingTrainingListener fixed =
                ClippingTrainingListener.builder()
                        .setStrategy(ClipStrategy.globalNorm(1f))
                        .optLossScaler(LossScaler.fixed(128f))
                        .build();
        GuardCheckpoint otherScale =
                new GuardCheckpoint(
                        0,
                        0,
                        0,
                        0,
                        1,
                        NonFinitePolicy.SKIP_STEP,
                        "x",
                        "y",
                        Map.of(),
                        GuardCheckpoint.SCALER_FIXED,
                        new LossScalerState(64f, 0, 0),
                        ClipStatistics.EMPTY);
        refused(fixed, otherScale, "fixed scaler's scale 128.0, got 64.0");
    }

    private static void refused(
            ClippingTrainingListener listener, GuardCheckpoint checkpoint, String expected) {
        GuardCheckpoint before = listener.checkpoint();
        IllegalArgumentException e =
                expectThrows(IllegalArgumentException.class, () -> listener.restore(checkpoint));
        assertTrue(e.getMessage().contains(expected), e.getMessage());
        assertEquals(listener.checkpoint(), before, "nothing restored");
    }
}
