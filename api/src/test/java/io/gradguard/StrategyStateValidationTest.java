package io.gradguard;

import static org.testng.Assert.assertEquals;
import static org.testng.Assert.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import io.gradguard.clip.AdaptiveStrategiesTest;
import io.gradguard.clip.ClipStrategy;
import io.gradguard.clip.StatefulClipStrategy;
import io.gradguard.clip.ThresholdCalibration;
import io.gradguard.scale.LossScaler;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.testng.annotations.AfterClass;
import org.testng.annotations.BeforeClass;
import org.testng.annotations.Test;

/**
 * Every key of a stateful strategy's state is checked when a state file is loaded. Each strategy
 * trains on a few norms, its listener saves the state, and the saved file is edited by hand and
 * given a correct checksum ({@link StateFileEdits}): a bad value is refused by {@link
 * ClippingTrainingListener#loadState} with an {@link InvalidCheckpointException} naming the key and
 * the value, and nothing is restored (counters, statistics, loss scaler, strategy); other valid
 * values load and drive the next steps. PyTorch engine (the strategies read norms from arrays).
 */
public class StrategyStateValidationTest {

    /** The saved files: each strategy after the norms of {@link #normsSeen}. */
    enum Saved {
        AUTO_CLIP,
        ZCLIP_WARMING_UP,
        ZCLIP,
        CALIBRATE
    }

    static final String S = "strategy.state.";

    private NDManager manager;
    private Path dir;
    private final Map<Saved, String> bodies = new EnumMap<>(Saved.class);

    private static StatefulClipStrategy fresh(Saved saved) {
        return switch (saved) {
            case AUTO_CLIP -> ClipStrategy.autoClip(50f, 4);
            case ZCLIP_WARMING_UP, ZCLIP -> ClipStrategy.zClip(4f, 0.5f, 2f, 3);
            case CALIBRATE -> ClipStrategy.calibrate(4, 50f, true);
        };
    }

    private static float[] normsSeen(Saved saved) {
        return switch (saved) {
            case AUTO_CLIP -> new float[] {3f, 1f, 4f}; // history [3, 1, 4], p50 = 3
            case ZCLIP_WARMING_UP -> new float[] {1f, 2f}; // 2 of 3 warm-up norms
            case ZCLIP -> new float[] {1f, 2f, 3f, 2.5f}; // warmed up, then one EMA step
            case CALIBRATE -> new float[] {1f, 3f}; // 2 of 4 observed
        };
    }

    private static LossScaler scaler() {
        return LossScaler.dynamicBuilder().optInitialScale(512f).build();
    }

    private static ClippingTrainingListener listener(ClipStrategy strategy, LossScaler scaler) {
        return ClippingTrainingListener.builder()
                .setStrategy(strategy)
                .optLossScaler(scaler)
                .build();
    }

    @BeforeClass
    public void saveEachStrategy() throws IOException {
        manager = NDManager.newBaseManager(Device.cpu(), "PyTorch");
        dir = Files.createTempDirectory("gradguard-strategy-state");
        for (Saved saved : Saved.values()) {
            StatefulClipStrategy strategy = fresh(saved);
            for (float norm : normsSeen(saved)) {
                AdaptiveStrategiesTest.applyToNorm(manager, strategy, norm, null);
            }
            LossScaler scaler = scaler();
            scaler.update(true); // 256: differs from a fresh scaler's 512
            Path file = listener(strategy, scaler).saveState(dir, saved.name());
            String body = StateFileEdits.body(file);
            // Counters that differ from a fresh listener's, so that a partial restore shows.
            body = StateFileEdits.withValue(body, "step", "7");
            body = StateFileEdits.withValue(body, "epoch", "2");
            body = StateFileEdits.withValue(body, "consecutiveSkips", "1");
            bodies.put(saved, body);
        }
        assertTrue(bodies.get(Saved.AUTO_CLIP).contains("\n" + S + "history=D:3.0,1.0,4.0\n"));
        assertTrue(bodies.get(Saved.AUTO_CLIP).contains("\n" + S + "threshold=f:3.0\n"));
        assertTrue(bodies.get(Saved.ZCLIP_WARMING_UP).contains("\n" + S + "initialized=b:false\n"));
        assertTrue(bodies.get(Saved.ZCLIP).contains("\n" + S + "warmupNorms=D:1.0,2.0,3.0\n"));
        assertTrue(bodies.get(Saved.CALIBRATE).contains("\n" + S + "observed=D:1.0,3.0\n"));
    }

    @AfterClass(alwaysRun = true)
    public void tearDown() throws IOException {
        manager.close();
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }

    @Test
    public void everyBadValueIsNamedAndNothingIsRestored() throws IOException {
        List<String> failures = new ArrayList<>();
        int rejected = 0;
        List<BadStrategyStates.Row> rows = BadStrategyStates.rows();
        for (BadStrategyStates.Row row : rows) {
            String problem = refusal(row);
            if (problem == null) {
                rejected++;
            } else {
                failures.add(row + ": " + problem);
            }
        }
        System.out.println(
                "RELIABILITY strategy-state bad values tried="
                        + rows.size()
                        + " rejected="
                        + rejected);
        assertTrue(failures.isEmpty(), String.join("\n", failures));
        assertEquals(rejected, rows.size());
    }

    /** Loads the edited file into a fresh listener; returns what went wrong, or null. */
    private String refusal(BadStrategyStates.Row row) throws IOException {
        Path file = edited(row.saved(), row.edits());
        LossScaler scaler = scaler();
        ClippingTrainingListener loading = listener(fresh(row.saved()), scaler);
        GuardCheckpoint before = loading.checkpoint();
        try {
            loading.loadState(dir, "edited");
            return "loaded";
        } catch (InvalidCheckpointException e) {
            if (!e.getMessage().contains(row.expected()) || !e.getFile().equals(file.toString())) {
                return "message " + e.getMessage();
            }
        } catch (RuntimeException e) {
            return "threw " + e;
        }
        if (scaler.scale() != 512f) {
            return "the loss scale was restored to " + scaler.scale();
        }
        GuardCheckpoint after = loading.checkpoint();
        return after.equals(before) ? null : "state changed to " + after;
    }

    private Path edited(Saved saved, Map<String, String> edits) throws IOException {
        String body = bodies.get(saved);
        for (Map.Entry<String, String> e : edits.entrySet()) {
            body = StateFileEdits.withValue(body, e.getKey(), e.getValue());
        }
        return StateFileEdits.write(GuardStateFile.resolve(dir, "edited"), body);
    }

    /** Loads an edited file into a fresh listener with a fresh strategy; returns the strategy. */
    private StatefulClipStrategy load(Saved saved, String... keyValues) throws IOException {
        Map<String, String> edits = new LinkedHashMap<>();
        for (int i = 0; i < keyValues.length; i += 2) {
            edits.put(S + keyValues[i], keyValues[i + 1]);
        }
        edited(saved, edits);
        StatefulClipStrategy strategy = fresh(saved);
        LossScaler scaler = scaler();
        ClippingTrainingListener loading = listener(strategy, scaler);
        loading.loadState(dir, "edited");
        assertEquals(scaler.scale(), 256f, saved.name());
        GuardCheckpoint restored = loading.checkpoint();
        assertEquals(restored.step(), 7L, saved.name());
        assertEquals(restored.epoch(), 2, saved.name());
        assertEquals(restored.consecutiveSkips(), 1, saved.name());
        return strategy;
    }

    @Test
    public void theSavedFilesLoadUnedited() throws IOException {
        for (Saved saved : Saved.values()) {
            StatefulClipStrategy original = fresh(saved);
            for (float norm : normsSeen(saved)) {
                AdaptiveStrategiesTest.applyToNorm(manager, original, norm, null);
            }
            StatefulClipStrategy loaded = load(saved);
            assertEquals(
                    StrategyStateCodec.encode(loaded.state()),
                    StrategyStateCodec.encode(original.state()),
                    saved.name());
        }
    }

    @Test
    public void editedButValidStateLoadsAndDrivesTheNextSteps() throws IOException {
        // AutoClip: history [2, 6], p50 = 4; then norm 1: sorted [1, 2, 6], p50 = 2.
        StatefulClipStrategy auto =
                load(Saved.AUTO_CLIP, "history", "D:2.0,6.0", "threshold", "f:4.0");
        assertEquals(auto.threshold(), 4f);
        AdaptiveStrategiesTest.applyToNorm(manager, auto, 1f, null);
        assertEquals(auto.threshold(), 2f);
        assertEquals((double[]) auto.state().get("history"), new double[] {2, 6, 1});

        // ZClip in warm-up with one norm, 0.5; norms 1 and 1.5 complete it:
        // mean (0.5 + 1 + 1.5) / 3 = 1, population variance (0.25 + 0 + 0.25) / 3 = 1/6.
        StatefulClipStrategy warming = load(Saved.ZCLIP_WARMING_UP, "warmupNorms", "D:0.5");
        AdaptiveStrategiesTest.applyToNorm(manager, warming, 1f, null);
        AdaptiveStrategiesTest.applyToNorm(manager, warming, 1.5f, null);
        assertEquals(warming.state().get("initialized"), true);
        assertEquals((double) warming.state().get("mean"), 1.0);
        assertEquals((double) warming.state().get("variance"), 1.0 / 6, 1e-15);

        // ZClip with mean 2, variance 0.25 (sigma 0.5); norm 2.5: z = 0.5 / (0.5 + 1e-6) < 2, no
        // spike, threshold maxNorm 4; mean 0.5 * 2 + 0.5 * 2.5 = 2.25; variance 0.5 * 0.25 + 0.5 *
        // (2.5 - 2.25)^2 = 0.15625 (all exact in binary).
        StatefulClipStrategy z = load(Saved.ZCLIP, "mean", "d:2.0", "variance", "d:0.25");
        AdaptiveStrategiesTest.applyToNorm(manager, z, 2.5f, null);
        assertEquals(z.threshold(), 4f);
        assertEquals((double) z.state().get("mean"), 2.25);
        assertEquals((double) z.state().get("variance"), 0.15625);

        // Calibration with 3 of 4 norms observed, [1, 3, 5]; norm 7 completes it:
        // p50 of [1, 3, 5, 7]: h = 3 * 0.5 = 1.5, 3 + 0.5 * (5 - 3) = 4.
        ThresholdCalibration calibration =
                (ThresholdCalibration) load(Saved.CALIBRATE, "observed", "D:1.0,3.0,5.0");
        assertTrue(calibration.recommendation().isEmpty());
        AdaptiveStrategiesTest.applyToNorm(manager, calibration, 7f, null);
        assertEquals(calibration.recommendation().orElseThrow(), 4f);
        assertEquals(calibration.threshold(), 4f);
    }
}
