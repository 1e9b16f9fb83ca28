package io.gradguard;

import static org.testng.Assert.assertEquals;
import static org.testng.Assert.assertFalse;
import static org.testng.Assert.assertTrue;
import static org.testng.Assert.expectThrows;

import io.gradguard.clip.ClipStrategy;
import io.gradguard.clip.StatefulClipStrategy;
import io.gradguard.scale.LossScaler;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.testng.annotations.Test;

/**
 * A state file written by the version-1 writer (kept in {@code checkpoints/v1}, see its README) is
 * still read: its strategy class name is mapped to the strategy's name and the whole state is
 * restored. The expected values are read off the file's own lines.
 */
public class StateFileVersion1Test {

    private static final String NAME = "autoclip-dynamic";

    /** The directory holding the version-1 file. */
    private static Path v1Dir() throws URISyntaxException {
        return Path.of(
                        StateFileVersion1Test.class
                                .getResource("/checkpoints/v1/" + NAME + GuardStateFile.SUFFIX)
                                .toURI())
                .getParent();
    }

    /** The file's {@code strategy.state.history} line. */
    private static final double[] HISTORY = {
        4.852871894836426, 7.3369903564453125, 12.775638580322266, 15.395684242248535,
        12.843409538269043, 15.184918403625488, 3.594310760498047, 5.6240234375,
        9.469992637634277, 10.941198348999023, 8.399996757507324, 11.8583402633667
    };

    private static final class Resumed {
        final StatefulClipStrategy strategy = ClipStrategy.autoClip(50f, 16);
        final LossScaler scaler = LossScaler.dynamicBuilder().optGrowthInterval(5).build();
        final ClippingTrainingListener listener =
                ClippingTrainingListener.builder()
                        .setStrategy(strategy)
                        .optLossScaler(scaler)
                        .build();
    }

    @Test
    public void theVersion1FileRestoresItsCountersScalerAndStrategy() throws Exception {
        Resumed r = new Resumed();
        r.listener.loadState(v1Dir(), NAME);
        GuardCheckpoint c = r.listener.checkpoint();
        assertEquals(c.step(), 12);
        assertEquals(c.epoch(), 2);
        assertEquals(c.batchInEpoch(), 0);
        assertEquals(c.consecutiveSkips(), 0);
        assertEquals(c.statistics().steps(), 12);
        assertEquals(c.statistics().clippedSteps(), 9);
        assertEquals(c.statistics().maxNorm(), 15.395684f);
        assertEquals(c.strategyName(), "autoClip");
        // 12 clean steps, growth every 5: 2^16 * 2 * 2 after steps 5 and 10, 2 steps since.
        assertEquals(r.scaler.scale(), 262144f);
        assertEquals(r.scaler.state().growthTracker(), 2);
        assertEquals(r.scaler.state().overflowStreak(), 0);
        assertTrue(
                Arrays.equals((double[]) r.strategy.state().get("history"), HISTORY),
                Arrays.toString((double[]) r.strategy.state().get("history")));
        // The 50th percentile of the 12 norms, linear: the mean of the 6th and 7th smallest,
        // (9.469992637634277 + 10.941198348999023) / 2 = 10.20559549331665.
        assertEquals(
                r.strategy.threshold(), (float) ((9.469992637634277 + 10.941198348999023) / 2));
        assertEquals(r.strategy.threshold(), 10.205595f, "the file's strategy.state.threshold");
    }

    @Test
    public void aVersion1StateIsSavedAgainAsVersion2WithoutClassNames() throws Exception {
        Resumed r = new Resumed();
        r.listener.loadState(v1Dir(), NAME);
        Path dir = Files.createTempDirectory("gradguard-v1");
        Path file = r.listener.saveState(dir, "again");
        String text = Files.readString(file);
        assertTrue(text.contains("\nversion=2\n"), text);
        assertTrue(text.contains("\nstrategy.name=autoClip\n"), text);
        assertTrue(text.contains("\nscaler=dynamic\n"), text);
        assertFalse(text.contains("strategy.class"), text);
        assertFalse(text.contains("io.gradguard."), text);
        assertEquals(GuardStateFile.read(file), r.listener.checkpoint());
        Files.delete(file);
        Files.delete(dir);
    }

    @Test
    public void version1ClassNamesAreMappedAndOthersKept() throws Exception {
        Path dir = Files.createTempDirectory("gradguard-v1-edits");
        String body = StateFileEdits.body(v1Dir().resolve(NAME + GuardStateFile.SUFFIX));
        Path zclip =
                StateFileEdits.write(
                        dir.resolve("z" + GuardStateFile.SUFFIX),
                        StateFileEdits.withValue(body, "strategy.class", "io.gradguard.ZClip"));
        assertEquals(GuardStateFile.read(zclip).strategyName(), "zClip");
        InvalidCheckpointException e =
                expectThrows(
                        InvalidCheckpointException.class,
                        () -> new Resumed().listener.loadState(dir, "z"));
        assertTrue(e.getMessage().contains("state of strategy 'zClip'"), e.getMessage());
        assertTrue(e.getMessage().contains("into strategy 'autoClip'"), e.getMessage());

        Path custom =
                StateFileEdits.write(
                        dir.resolve("custom" + GuardStateFile.SUFFIX),
                        StateFileEdits.withValue(body, "strategy.class", "com.example.MyClip"));
        assertEquals(GuardStateFile.read(custom).strategyName(), "com.example.MyClip");

        Path mixed =
                StateFileEdits.write(
                        dir.resolve("mixed" + GuardStateFile.SUFFIX),
                        StateFileEdits.withValue(body, "strategy.name", "autoClip"));
        e = expectThrows(InvalidCheckpointException.class, () -> GuardStateFile.read(mixed));
        assertTrue(e.getMessage().contains("unknown key 'strategy.name'"), e.getMessage());

        Path missing =
                StateFileEdits.write(
                        dir.resolve("missing" + GuardStateFile.SUFFIX),
                        StateFileEdits.withValue(body, "strategy.class", null));
        e = expectThrows(InvalidCheckpointException.class, () -> GuardStateFile.read(missing));
        assertTrue(e.getMessage().contains("missing key 'strategy.class'"), e.getMessage());
        for (Path p : new Path[] {zclip, custom, mixed, missing}) {
            Files.delete(p);
        }
        Files.delete(dir);
    }

    @Test
    public void aCorruptedVersion1FileIsStillRefused() throws Exception {
        Path dir = Files.createTempDirectory("gradguard-v1-crc");
        byte[] bytes = Files.readAllBytes(v1Dir().resolve(NAME + GuardStateFile.SUFFIX));
        String text = new String(bytes, java.nio.charset.StandardCharsets.US_ASCII);
        Path file = dir.resolve("bad" + GuardStateFile.SUFFIX);
        Files.writeString(file, text.replace("scaler.growthTracker=2", "scaler.growthTracker=3"));
        InvalidCheckpointException e =
                expectThrows(InvalidCheckpointException.class, () -> GuardStateFile.read(file));
        assertTrue(e.getMessage().contains("CRC-32"), e.getMessage());
        Files.delete(file);
        Files.delete(dir);
    }
}
