package io.gradguard.examples;

import static org.testng.Assert.assertEquals;
import static org.testng.Assert.assertFalse;
import static org.testng.Assert.assertTrue;

import io.gradguard.StepReport;
import io.gradguard.clip.ClipStrategy;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.testng.annotations.DataProvider;
import org.testng.annotations.Test;
import picocli.CommandLine;

/**
 * The demo's story on both engines, at a reduced size: 5 epochs instead of 8, and the unguarded run
 * stops at the end of the epoch where its loss went non-finite.
 */
public class ChurnStoryTest {

    private static final int SEED = 3;
    private static final ChurnData DATA =
            ChurnDataGenerator.generate(ChurnDataSpec.of(4000, 90, 0.01, SEED));

    private static RunSettings unguarded(String engine, OptimizerChoice optimizer, int epochs) {
        return new RunSettings(
                engine,
                "unguarded",
                ClipStrategy.observeOnly(),
                optimizer,
                optimizer.defaultLearningRate(),
                epochs,
                32,
                32,
                1,
                0.2f,
                false,
                1,
                true,
                SEED);
    }

    @DataProvider
    public Object[][] engines() {
        return new Object[][] {{"PyTorch"}, {"MXNet"}};
    }

    @Test(dataProvider = "engines")
    public void unguardedDivergesAndGuardedTrains(String engine) throws Exception {
        RunSettings plain = unguarded(engine, OptimizerChoice.SGD, 5);
        RunResult before = TrainingRun.run(plain, DATA);
        RunResult after =
                TrainingRun.run(plain.with("guarded", ClipStrategy.globalNorm(1f), false), DATA);

        assertTrue(before.divergence().isPresent(), "unguarded loss went non-finite");
        assertFalse(Double.isFinite(before.finalTrainLoss()));
        assertTrue(before.nonFiniteWeightShare() > 0, "unguarded weights are garbage");
        assertTrue(before.norms().max() > 1e6, "unguarded norms blew up: " + before.norms());

        assertTrue(after.finishedFinite(), "guarded run stayed finite");
        assertTrue(after.validationAuc() > 0.6, "guarded AUC " + after.validationAuc());
        assertTrue(after.norms().max() > 1f, "spikes reached the guard: " + after.norms());
        assertTrue(after.statistics().clippedSteps() > 0);
        assertTrue(after.statistics().clipRate() < 0.3, "clipped " + after.statistics());
        assertEquals(after.statistics().skippedSteps(), 0);
        assertEquals(after.statistics().steps(), after.batches());
        assertEquals(after.reports().size(), (int) after.batches());
    }

    @Test
    public void adamWStaysFiniteWithoutClipping() throws Exception {
        // AdamW's per-coordinate step m / (sqrt(v) + eps) stays near lr whatever the gradient's
        // scale, so the same spikes that wreck SGD do not make it overflow.
        RunResult run = TrainingRun.run(unguarded("PyTorch", OptimizerChoice.ADAMW, 3), DATA);
        assertTrue(run.divergence().isEmpty());
        assertTrue(run.finishedFinite());
        assertTrue(run.norms().max() > 10f * run.norms().median(), "spikes: " + run.norms());
        assertTrue(run.validationAuc() > 0.6, "AUC " + run.validationAuc());
    }

    @Test
    public void commandLineTellsTheStoryAndWritesTheSummary() throws Exception {
        Path out = Files.createTempDirectory("churn-demo");
        List<String> runs = new ArrayList<>();
        List<Integer> sizes = new ArrayList<>();
        StepReportSink sink =
                (name, reports, dir) -> {
                    runs.add(name);
                    sizes.add(reports.size());
                    assertEquals(dir, out);
                };
        CommandLine cmd = ChurnDemo.commandLine(sink);
        StringWriter text = new StringWriter();
        cmd.setOut(new PrintWriter(text));
        int code =
                cmd.execute(
                        "--engine",
                        "pytorch",
                        "--epochs",
                        "4",
                        "--seed",
                        "3",
                        "--out",
                        out.toString());
        assertEquals(code, 0, text.toString());
        assertEquals(runs, List.of("pytorch-unguarded", "pytorch-guarded"));
        assertEquals(sizes, List.of(400, 400));
        String summary = Files.readString(out.resolve("summary.md"));
        assertTrue(summary.contains("| metric | PyTorch unguarded | PyTorch guarded |"), summary);
        assertTrue(summary.contains("| validation AUC |"), summary);
        assertTrue(text.toString().contains("The story holds"), text.toString());
    }

    @Test
    public void storyCheckNamesWhatFailed() throws Exception {
        RunResult finite = fakeRun(false);
        RunResult diverged = fakeRun(true);
        assertTrue(StoryCheck.problems(diverged, finite).isEmpty());
        List<String> both = StoryCheck.problems(finite, diverged);
        assertEquals(both.size(), 2, both.toString());
        assertTrue(both.get(0).contains("unguarded run stayed finite"), both.get(0));
        assertTrue(both.get(1).contains("guarded run"), both.get(1));
    }

    private static RunResult fakeRun(boolean diverged) {
        List<StepReport> none = List.of();
        return new RunResult(
                unguarded("PyTorch", OptimizerChoice.SGD, 1),
                10,
                diverged ? Double.NaN : 0.5,
                0.5,
                0.5,
                0.8,
                io.gradguard.ClipStatistics.EMPTY,
                NormSummary.of(none),
                1.0,
                diverged ? 1.0 : 0.0,
                diverged
                        ? java.util.Optional.of(new Divergence(3, 0, 3, Float.NaN, 1e19f, 1e19f))
                        : java.util.Optional.empty(),
                none);
    }
}
