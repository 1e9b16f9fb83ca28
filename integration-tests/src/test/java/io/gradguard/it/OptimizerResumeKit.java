package io.gradguard.it;

import static org.testng.Assert.assertEquals;
import static org.testng.Assert.assertTrue;
import static org.testng.Assert.expectThrows;

import ai.djl.ndarray.types.DataType;
import io.gradguard.InvalidCheckpointException;
import io.gradguard.StepReport;
import io.gradguard.it.ResumableRun.Kind;
import io.gradguard.it.ResumableRun.Outcome;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import java.util.TreeSet;
import org.testng.annotations.DataProvider;
import org.testng.annotations.Test;

/**
 * Stop and resume with a stateful optimizer on one engine ({@link ResumableRun}): a run stopped
 * after optimizer step {@code k}, saved with {@code model.save} and {@code saveState}, and resumed
 * in a new model, trainer, listener and optimizer (or a new JVM) from the files alone, ends
 * bit-identical to the uninterrupted run: weights, reports, listener state, and the saved optimizer
 * state (moments, update counts, float32 master weights) byte for byte. The stops {@code k} are
 * drawn from {@link #SEED}, plus the step right after a skipped step; checkpoints are taken at
 * window boundaries only (the listener refuses to save inside an accumulation window).
 */
public abstract class OptimizerResumeKit {

    static final long SEED = 20261130L;

    private Outcome wholeAdamW;

    /** Returns the engine name to test. */
    protected abstract String engineName();

    /** Returns the parameters' data type. */
    protected abstract DataType dataType();

    ResumableRun run() {
        return new ResumableRun(engineName(), dataType());
    }

    synchronized Outcome wholeAdamW() throws IOException {
        if (wholeAdamW == null) {
            wholeAdamW = run().whole(Kind.ADAMW);
        }
        return wholeAdamW;
    }

    @DataProvider
    public Object[][] stops() throws IOException {
        int windows = ResumableRun.windows();
        Random random = new Random(SEED);
        TreeSet<Integer> stops = new TreeSet<>();
        stops.add(1 + random.nextInt(windows - 1));
        stops.add(1 + random.nextInt(windows - 1));
        stops.add(afterMidRunSkip());
        return stops.stream().map(k -> new Object[] {k}).toArray(Object[][]::new);
    }

    /** The step right after the first skipped step that follows an applied one. */
    private int afterMidRunSkip() throws IOException {
        java.util.List<StepReport> reports = wholeAdamW().reports();
        for (int i = 1; i < reports.size() - 1; i++) {
            if (reports.get(i).skipped() && !reports.get(i - 1).skipped()) {
                return i + 1;
            }
        }
        throw new AssertionError("the run must skip a step after an applied one: " + reports);
    }

    @Test
    public void theRunClipsSkipsAndGrowsTheScale() throws IOException {
        Outcome whole = wholeAdamW();
        assertTrue(whole.state().statistics().clippedSteps() > 0, "clipping must fire");
        assertTrue(whole.state().statistics().skippedSteps() >= 2, "steps must be skipped");
        assertEquals(whole.state().step(), ResumableRun.windows());
        assertTrue(
                whole.reports().stream().map(StepReport::lossScale).distinct().count() >= 3,
                "the scale must back off and grow: " + whole.reports());
    }

    @Test(dataProvider = "stops")
    public void resumedAdamWRunIsBitIdentical(int stop) throws IOException {
        String reproduce = engineName() + " " + dataType() + ", stop after step " + stop;
        Path dir = Files.createTempDirectory("gradguard-optstate");
        Path end = Files.createTempDirectory("gradguard-optstate-end");
        run().segment(Kind.ADAMW, 0, stop, dir, null);
        Outcome resumed = run().segment(Kind.ADAMW, stop, ResumableRun.windows(), dir, end);
        ResumableRun.assertSameEnd(resumed, wholeAdamW(), stop, reproduce);
        ResumeKit.deleteAll(dir);
        ResumeKit.deleteAll(end);
    }

    @Test
    public void resumedInANewProcessIsBitIdentical() throws Exception {
        int stop = afterMidRunSkip();
        Path dir = Files.createTempDirectory("gradguard-optstate");
        Path end = Files.createTempDirectory("gradguard-optstate-end");
        run().segment(Kind.ADAMW, 0, stop, dir, null);
        java.util.List<float[]> weights =
                ResumeProcessMain.resumeInNewProcess(engineName(), dataType(), stop, dir, end);
        Outcome whole = wholeAdamW();
        ClippingEndToEndKit.assertBitIdentical(weights, whole.weights());
        assertEquals(
                Files.readAllBytes(end.resolve("ckpt-gradguard.properties")), whole.guardFile());
        assertTrue(
                java.util.Arrays.equals(
                        Files.readAllBytes(end.resolve("ckpt-gradguard-optimizer.bin")),
                        whole.optimizerFile()),
                "the new process's optimizer state differs");
        ResumeKit.deleteAll(dir);
        ResumeKit.deleteAll(end);
    }

    @Test
    public void resumedSgdWithMomentumIsBitIdentical() throws IOException {
        int stop = 7;
        Path dir = Files.createTempDirectory("gradguard-optstate");
        Path end = Files.createTempDirectory("gradguard-optstate-end");
        Outcome whole = run().whole(Kind.SGD_MOMENTUM);
        run().segment(Kind.SGD_MOMENTUM, 0, stop, dir, null);
        Outcome resumed = run().segment(Kind.SGD_MOMENTUM, stop, ResumableRun.windows(), dir, end);
        ResumableRun.assertSameEnd(resumed, whole, stop, engineName() + " SGD momentum");
        ResumeKit.deleteAll(dir);
        ResumeKit.deleteAll(end);
    }

    @Test
    public void withoutTheOptimizerFileTheResumeWarnsAndDiffers() throws IOException {
        int stop = ResumableRun.windows() / 2;
        Path dir = Files.createTempDirectory("gradguard-optstate");
        Path end = Files.createTempDirectory("gradguard-optstate-end");
        run().segment(Kind.ADAMW, 0, stop, dir, null);
        Path companion = dir.resolve("ckpt-gradguard-optimizer.bin");
        Files.delete(companion);
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        PrintStream err = System.err;
        Outcome resumed;
        System.setErr(new PrintStream(log, true, StandardCharsets.UTF_8));
        try {
            resumed = run().segment(Kind.ADAMW, stop, ResumableRun.windows(), dir, end);
        } finally {
            System.setErr(err);
        }
        String warned = log.toString(StandardCharsets.UTF_8);
        assertTrue(
                warned.contains("WARN") && warned.contains("No optimizer state file " + companion),
                warned);
        assertTrue(
                ClippingEndToEndKit.distance(resumed.weights(), wholeAdamW().weights()) > 0,
                "AdamW restarted from zero moments cannot end where the whole run did");
        ResumeKit.deleteAll(dir);
        ResumeKit.deleteAll(end);
    }

    @Test
    public void anEditedOptimizerFileIsRefused() throws IOException {
        Path dir = Files.createTempDirectory("gradguard-optstate");
        run().segment(Kind.ADAMW, 0, 3, dir, null);
        Path companion = dir.resolve("ckpt-gradguard-optimizer.bin");
        byte[] bytes = Files.readAllBytes(companion);
        bytes[bytes.length - 9] ^= 0x01; // one bit of the last array's last value
        Files.write(companion, bytes);
        InvalidCheckpointException e =
                expectThrows(
                        InvalidCheckpointException.class,
                        () -> run().segment(Kind.ADAMW, 3, ResumableRun.windows(), dir, dir));
        assertTrue(e.getMessage().contains(companion.toString()), e.getMessage());
        assertTrue(e.getMessage().contains("corrupt or truncated: the CRC-32"), e.getMessage());
        ResumeKit.deleteAll(dir);
    }

    @Test
    public void anotherOptimizerKindIsRefused() throws IOException {
        Path dir = Files.createTempDirectory("gradguard-optstate");
        run().segment(Kind.ADAMW, 0, 3, dir, null);
        InvalidCheckpointException e =
                expectThrows(
                        InvalidCheckpointException.class,
                        () ->
                                run().segment(
                                                Kind.SGD_MOMENTUM,
                                                3,
                                                ResumableRun.windows(),
                                                dir,
                                                dir));
        assertTrue(
                e.getMessage().contains("'adamW' optimizer, but the trainer's optimizer is 'sgd'"),
                e.getMessage());
        ResumeKit.deleteAll(dir);
    }
}
