package io.gradguard;

import static org.testng.Assert.assertEquals;
import static org.testng.Assert.assertFalse;
import static org.testng.Assert.assertNotEquals;
import static org.testng.Assert.assertTrue;

import ai.djl.ndarray.NDArray;
import io.gradguard.clip.ClipContext;
import io.gradguard.clip.ClipOutcome;
import io.gradguard.clip.ClipStrategy;
import io.gradguard.clip.StatefulClipStrategy;
import io.gradguard.internal.StrategyNames;
import io.gradguard.scale.LossScaler;
import io.gradguard.scale.LossScalerState;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.testng.annotations.Test;

/**
 * Checkpoints name strategies and loss scalers by stable names, not by the classes that implement
 * them; a user's own strategy or scaler falls back to its class name.
 */
public class CheckpointNamesTest {

    /** Each factory's strategy and the name the format documents for it. */
    private static Map<String, ClipStrategy> builtIns() {
        Map<String, ClipStrategy> m = new LinkedHashMap<>();
        m.put("globalNorm", ClipStrategy.globalNorm(1f));
        m.put("value", ClipStrategy.value(0.5f));
        m.put("perParameterNorm", ClipStrategy.perParameterNorm(1f));
        m.put("observeOnly", ClipStrategy.observeOnly());
        m.put("agc", ClipStrategy.agc());
        m.put("autoClip", ClipStrategy.autoClip());
        m.put("zClip", ClipStrategy.zClip(1f));
        m.put("calibrate", ClipStrategy.calibrate(4));
        return m;
    }

    /** A stateless strategy of the user's own. */
    static final class UserClip implements ClipStrategy {
        @Override
        public ClipOutcome apply(ClipContext context) {
            throw new UnsupportedOperationException("not trained in this test");
        }

        @Override
        public float threshold() {
            return 1f;
        }

        @Override
        public String toString() {
            return "userClip()";
        }
    }

    @Test
    public void everyFactoryStrategyHasItsDocumentedName() {
        Set<String> seen = new HashSet<>();
        for (Map.Entry<String, ClipStrategy> e : builtIns().entrySet()) {
            ClipStrategy s = e.getValue();
            assertEquals(StrategyNames.of(s), e.getKey(), s.toString());
            assertTrue(seen.add(StrategyNames.of(s)), "names are distinct");
            // Version 1 recorded the class name the strategy had then, in the root package; the
            // class has moved since, and that old name still reads as the strategy's name.
            String version1Name = "io.gradguard." + s.getClass().getSimpleName();
            assertEquals(StrategyNames.canonical(version1Name), e.getKey());
            assertNotEquals(s.getClass().getName(), version1Name, "the class has moved");
        }
    }

    @Test
    public void aStatefulStrategyRecordsItsOwnNameInItsState() {
        for (Map.Entry<String, ClipStrategy> e : builtIns().entrySet()) {
            if (e.getValue() instanceof StatefulClipStrategy s) {
                assertEquals(s.state().get("strategy"), e.getKey());
            }
        }
    }

    @Test
    public void eachFactoryStrategyIsSavedByItsName() throws Exception {
        Path dir = Files.createTempDirectory("gradguard-names");
        for (Map.Entry<String, ClipStrategy> e : builtIns().entrySet()) {
            ClippingTrainingListener listener =
                    ClippingTrainingListener.builder().setStrategy(e.getValue()).build();
            Path file = listener.saveState(dir, e.getKey());
            String text = Files.readString(file);
            assertTrue(text.contains("\nstrategy.name=" + e.getKey() + "\n"), text);
            assertFalse(text.contains("io.gradguard."), text);
            Files.delete(file);
        }
        Files.delete(dir);
    }

    @Test
    public void aStatelessUserStrategyIsSavedByItsClassNameAndRestored() throws Exception {
        Path dir = Files.createTempDirectory("gradguard-user-strategy");
        ClippingTrainingListener saving =
                ClippingTrainingListener.builder().setStrategy(new UserClip()).build();
        Path file = saving.saveState(dir, "user");
        String text = Files.readString(file);
        assertTrue(text.contains("\nstrategy.name=" + UserClip.class.getName() + "\n"), text);
        StateFileEdits.write(
                file, StateFileEdits.withValue(StateFileEdits.body(file), "step", "7"));
        ClippingTrainingListener loading =
                ClippingTrainingListener.builder().setStrategy(new UserClip()).build();
        loading.loadState(dir, "user");
        assertEquals(loading.checkpoint().step(), 7);
        assertEquals(loading.checkpoint().strategyName(), UserClip.class.getName());
        Files.delete(file);
        Files.delete(dir);
    }

    /** A loss scaler of the user's own. */
    static final class UserScaler implements LossScaler {
        @Override
        public float scale() {
            return 1f;
        }

        @Override
        public boolean isEnabled() {
            return false;
        }

        @Override
        public void update(boolean foundNonFinite) {}

        @Override
        public LossScalerState state() {
            return new LossScalerState(1f, 0, 0);
        }

        @Override
        public void restore(LossScalerState state) {}

        @Override
        public NDArray unscale(List<NDArray> grads) {
            throw new UnsupportedOperationException("not trained in this test");
        }

        @Override
        public NDArray clipGradNorm(List<NDArray> grads, float maxNorm, float normType) {
            throw new UnsupportedOperationException("not trained in this test");
        }
    }

    @Test
    public void scalersAnswerTheirOwnKind() {
        assertEquals(GuardCheckpoint.kindOf(LossScaler.none()), "none");
        assertEquals(GuardCheckpoint.kindOf(LossScaler.fixed(8f)), "fixed");
        assertEquals(GuardCheckpoint.kindOf(LossScaler.dynamic()), "dynamic");
        assertEquals(
                GuardCheckpoint.kindOf(LossScaler.dynamicBuilder().optHysteresis(2).build()),
                "dynamic");
        assertEquals(GuardCheckpoint.kindOf(new UserScaler()), UserScaler.class.getName());
    }
}
