package io.gradguard;

import static org.testng.Assert.assertEquals;
import static org.testng.Assert.assertFalse;
import static org.testng.Assert.assertTrue;
import static org.testng.Assert.expectThrows;

import io.gradguard.scale.LossScalerState;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.testng.annotations.AfterClass;
import org.testng.annotations.AfterMethod;
import org.testng.annotations.BeforeMethod;
import org.testng.annotations.DataProvider;
import org.testng.annotations.Test;

/**
 * The state file: an exact round trip, and a clear {@link InvalidCheckpointException} naming the
 * file for every truncation, every single-byte corruption, another version, and every bad value.
 */
public class GuardStateFileTest {

    private Path dir;

    @BeforeMethod
    public void createDir() throws IOException {
        dir = Files.createTempDirectory("gradguard-state");
    }

    @AfterMethod(alwaysRun = true)
    public void deleteDir() throws IOException {
        try (var files = Files.list(dir)) {
            for (Path p : files.toList()) {
                Files.delete(p);
            }
        }
        Files.delete(dir);
    }

    static GuardCheckpoint sample() {
        Map<String, String> state = new LinkedHashMap<>();
        state.put("ema", Float.toString(0.123456789f));
        state.put("window", "3,1.5,2.25");
        // Characters the Properties syntax treats specially, and non-ASCII ones.
        state.put("odd key = : # !", " leading space, \\ back\\slash\nnew line\ttab, é, \u2603");
        return new GuardCheckpoint(
                20,
                5,
                0,
                1,
                2,
                NonFinitePolicy.SKIP_STEP,
                "globalNorm(maxNorm=3.0, normType=2.0)",
                "io.gradguard.SomeStrategy",
                state,
                GuardCheckpoint.SCALER_DYNAMIC,
                new LossScalerState(512f, 3, 1),
                new ClipStatistics(20, 7, 4, 4, 40, 123.456789f));
    }

    private Path write(GuardCheckpoint checkpoint) throws IOException {
        Path file = GuardStateFile.resolve(dir, "run");
        GuardStateFile.write(checkpoint, file);
        return file;
    }

    @Test
    public void roundTripIsExact() throws IOException {
        GuardCheckpoint original = sample();
        Path file = write(original);
        assertEquals(file.getFileName().toString(), "run-gradguard.properties");
        GuardCheckpoint read = GuardStateFile.read(file);
        assertEquals(read, original);
        assertEquals(
                Float.floatToRawIntBits(read.statistics().maxNorm()),
                Float.floatToRawIntBits(123.456789f));
        byte[] bytes = Files.readAllBytes(file);
        for (byte b : bytes) {
            assertTrue(b > 0, "pure ASCII");
        }
        String text = new String(bytes, StandardCharsets.US_ASCII);
        assertTrue(text.contains("\nversion=2\n"), text);
        assertTrue(text.contains("\nscaler=dynamic\nscaler.scale=512.0\n"), text);
        assertTrue(text.contains("\nscaler.overflowStreak=1\n"), text);
        assertTrue(text.contains("\nstrategy.state.ema=0.12345679\n"), text);
        try (var files = Files.list(dir)) {
            assertEquals(files.count(), 1L, "no temporary file left behind");
        }
    }

    @Test
    public void saveReplacesAnOlderFile() throws IOException {
        write(sample());
        GuardCheckpoint newer =
                new GuardCheckpoint(
                        30,
                        7,
                        2,
                        0,
                        1,
                        NonFinitePolicy.PROPAGATE,
                        "observeOnly()",
                        "io.gradguard.ObserveOnlyClip",
                        Map.of(),
                        GuardCheckpoint.SCALER_NONE,
                        new LossScalerState(1f, 0, 0),
                        ClipStatistics.EMPTY);
        Path file = write(newer);
        assertEquals(GuardStateFile.read(file), newer);
    }

    @Test
    public void everyTruncationIsRejected() throws IOException {
        Path file = write(sample());
        byte[] full = Files.readAllBytes(file);
        int tried = 0;
        for (int length = 0; length < full.length; length++) {
            Files.write(file, java.util.Arrays.copyOf(full, length));
            assertInvalid(file, null);
            tried++;
        }
        System.out.println(
                "RELIABILITY state-file truncations tried=" + tried + " rejected=" + tried);
        assertEquals(tried, full.length);
    }

    @Test
    public void everySingleByteCorruptionIsRejected() throws IOException {
        Path file = write(sample());
        byte[] full = Files.readAllBytes(file);
        int tried = 0;
        for (int i = 0; i < full.length; i++) {
            for (int bit : new int[] {0x01, 0x20, 0x40}) {
                byte[] corrupt = full.clone();
                corrupt[i] = (byte) (corrupt[i] ^ bit);
                Files.write(file, corrupt);
                assertInvalid(file, null);
                tried++;
            }
        }
        System.out.println(
                "RELIABILITY state-file byte corruptions tried=" + tried + " rejected=" + tried);
    }

    @Test
    public void anotherVersionIsNamed() throws IOException {
        for (String version : new String[] {"0", "3", "02", "2.0"}) {
            Path file = withValidChecksum(replace("version=2\n", "version=" + version + "\n"));
            InvalidCheckpointException e =
                    assertInvalid(file, "version " + version.strip() + " is not supported");
            assertTrue(e.getProblem().contains("reads versions 1 to 2"), e.getMessage());
        }
    }

    @Test
    public void aForeignFileIsNamed() throws IOException {
        Path file = dir.resolve("model-0000.params");
        Files.write(file, new byte[] {0, 'P', 1, 2, 3, (byte) 0xff, '\n'});
        assertInvalid(file, "not a GradGuard state file");
    }

    @Test
    public void aMissingFileIsAnIoError() {
        expectThrows(NoSuchFileException.class, () -> GuardStateFile.read(dir.resolve("absent")));
    }

    @DataProvider
    public Object[][] badValues() {
        return new Object[][] {
            {"step=20\n", "step=-1\n", "step must be >= 0, got -1"},
            {"step=20\n", "step=twenty\n", "step must be an integer, got 'twenty'"},
            {"consecutiveSkips=1\n", "consecutiveSkips=21\n", "consecutiveSkips must be <= step"},
            {"accumulationSteps=2\n", "accumulationSteps=0\n", "accumulationSteps must be >= 1"},
            {"policy=SKIP_STEP\n", "policy=RETRY\n", "policy must be a NonFinitePolicy"},
            {"scaler.scale=512.0\n", "scaler.scale=NaN\n", "scale must lie in"},
            {"scaler.scale=512.0\n", "scaler.scale=-4.0\n", "scale must lie in"},
            // 1/1e-40 = 1e40 overflows float32; 1/1e38 = 1e-38 is subnormal.
            {"scaler.scale=512.0\n", "scaler.scale=1.0E-40\n", "scale must lie in"},
            {"scaler.scale=512.0\n", "scaler.scale=1.0E38\n", "scale must lie in"},
            {
                "statistics.dataFaultSteps=0\n",
                "statistics.dataFaultSteps=5\n",
                "dataFaultSteps must lie in [0, nonFiniteSteps = 4], got 5"
            },
            {"scaler.growthTracker=3\n", "scaler.growthTracker=-3\n", "growthTracker must be >= 0"},
            {"statistics.steps=20\n", "statistics.steps=21\n", "statistics.steps must be <= step"},
            {
                "statistics.skippedSteps=4\n",
                "statistics.skippedSteps=14\n",
                "statistics.clippedSteps + statistics.skippedSteps must be <= statistics.steps 20,"
                        + " got 7 + 14"
            },
            {
                "statistics.skippedSteps=4\n",
                "statistics.skippedSteps=24\n",
                "statistics.skippedSteps must be <= statistics.steps 20, got 24"
            },
            {
                "statistics.clippedSteps=7\n",
                "statistics.clippedSteps=-7\n",
                "clippedSteps must be >= 0"
            },
            {
                "statistics.nonFiniteSteps=4\n",
                "statistics.nonFiniteSteps=21\n",
                "statistics.nonFiniteSteps must be <= statistics.steps 20, got 21"
            },
            // Counters whose next increment would overflow.
            {"step=20\n", "step=9223372036854775807\n", "step must be < 9223372036854775807"},
            {"epoch=5\n", "epoch=2147483647\n", "epoch must be < 2147483647"},
            {
                "batchInEpoch=0\n",
                "batchInEpoch=9223372036854775807\n",
                "batchInEpoch must be < 9223372036854775807"
            },
            {
                "step=20\nepoch=5\nbatchInEpoch=0\nconsecutiveSkips=1\n",
                "step=3000000000\nepoch=5\nbatchInEpoch=0\nconsecutiveSkips=2147483647\n",
                "consecutiveSkips must be < 2147483647"
            },
            {
                // Long.MAX_VALUE - Integer.MAX_VALUE + 1: a step of Integer.MAX_VALUE micro-batches
                // would overflow.
                "statistics.microSteps=40\n",
                "statistics.microSteps=9223372034707292161\n",
                "statistics.microSteps must be < 9223372034707292161"
            },
            {"statistics.maxNorm=123.45679\n", "statistics.maxNorm=NaN\n", "maxNorm must be"},
            {"statistics.maxNorm=123.45679\n", "statistics.maxNorm=-1.0\n", "maxNorm must be"},
            {"epoch=5\n", "epoch=-5\n", "epoch must be >= 0, got -5"},
            {"batchInEpoch=0\n", "batchInEpoch=-1\n", "batchInEpoch must be >= 0, got -1"},
            {"statistics.microSteps=40\n", "statistics.microSteps=19\n", "microSteps must be >="},
            {"statistics.maxNorm=123.45679\n", "statistics.maxNorm=Infinity\n", "maxNorm must be"},
            {"epoch=5\n", "", "missing key 'epoch'"},
            {"epoch=5\n", "epoch=5\nepochs=6\n", "unknown key 'epochs'"},
            // Version 2 names the strategy; version 1's class key is not part of it.
            {"strategy.name=io.gradguard.SomeStrategy\n", "", "missing key 'strategy.name'"},
            {
                "strategy.name=io.gradguard.SomeStrategy\n",
                "strategy.class=io.gradguard.SomeStrategy\n",
                "unknown key 'strategy.class'"
            },
            {"strategy.name=io.gradguard.SomeStrategy\n", "strategy.name=\n", "strategyName must"},
            {"scaler=dynamic\n", "scaler=\n", "scalerKind must not be empty"},
        };
    }

    private static final AtomicInteger badValuesRejected = new AtomicInteger();

    @Test(dataProvider = "badValues")
    public void badValuesAreNamed(String from, String to, String expected) throws IOException {
        Path file = withValidChecksum(replace(from, to));
        InvalidCheckpointException e = assertInvalid(file, expected);
        assertEquals(e.getFile(), file.toString());
        badValuesRejected.incrementAndGet();
    }

    @AfterClass(alwaysRun = true)
    public void printBadValueCount() {
        System.out.println(
                "RELIABILITY state-file bad values tried="
                        + badValues().length
                        + " rejected="
                        + badValuesRejected.get());
    }

    @Test
    public void countersOneIncrementBelowOverflowLoad() throws IOException {
        String edited =
                replace(
                        "step=20\nepoch=5\nbatchInEpoch=0\nconsecutiveSkips=1\n",
                        "step=9223372036854775806\nepoch=2147483646\n"
                                + "batchInEpoch=9223372036854775806\nconsecutiveSkips=2147483646\n");
        edited =
                edited.replace(
                        "statistics.microSteps=40\n",
                        "statistics.microSteps=9223372034707292160\n");
        GuardCheckpoint read = GuardStateFile.read(withValidChecksum(edited));
        assertEquals(read.step(), Long.MAX_VALUE - 1);
        assertEquals(read.epoch(), Integer.MAX_VALUE - 1);
        assertEquals(read.batchInEpoch(), Long.MAX_VALUE - 1);
        assertEquals(read.consecutiveSkips(), Integer.MAX_VALUE - 1);
        // The largest microSteps to which a step of Integer.MAX_VALUE micro-batches can be added.
        assertEquals(read.statistics().microSteps() + Integer.MAX_VALUE, Long.MAX_VALUE);
    }

    @Test
    public void badNamesAreRejected() {
        for (String name : new String[] {"", "a/b", "a\\b", null}) {
            IllegalArgumentException e =
                    expectThrows(
                            IllegalArgumentException.class,
                            () -> GuardStateFile.resolve(dir, name));
            assertTrue(e.getMessage().contains("name"), e.getMessage());
        }
    }

    private String replace(String from, String to) {
        String body = GuardStateFile.encode(sample());
        assertTrue(body.contains(from), from);
        return body.replace(from, to);
    }

    /** Writes a body with a correct checksum line, computed independently. */
    private Path withValidChecksum(String body) throws IOException {
        return StateFileEdits.write(dir.resolve("edited-gradguard.properties"), body);
    }

    private static InvalidCheckpointException assertInvalid(Path file, String expected) {
        InvalidCheckpointException e =
                expectThrows(InvalidCheckpointException.class, () -> GuardStateFile.read(file));
        assertTrue(e.getMessage().contains(file.toString()), e.getMessage());
        assertFalse(e.getProblem().isEmpty());
        if (expected != null) {
            assertTrue(e.getMessage().contains(expected), e.getMessage());
        }
        return e;
    }
}
