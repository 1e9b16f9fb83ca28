package io.gradguard.examples.finetune;

import static org.testng.Assert.assertEquals;
import static org.testng.Assert.assertTrue;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.testng.annotations.DataProvider;
import org.testng.annotations.Test;
import picocli.CommandLine;

/**
 * The fine-tuning command line: {@code --help} lists every option and exits 0; a bad option exits 2
 * with a message naming it, before anything is trained; a small run writes its summary and chart.
 */
public class FineTuneDemoOptionsTest {

    @DataProvider
    public Object[][] badOptions() {
        return new Object[][] {
            {new String[] {"--engine", "tensorflow"}, "--engine must be pytorch or mxnet"},
            {new String[] {"--engine", "mxnet", "--precision", "fp16"}, "DJL cannot train float16"},
            {new String[] {"--precision", "bf16"}, "--precision must be fp16 or fp32"},
            {new String[] {"--optimizer", "adagrad"}, "--optimizer must be adamw or sgd"},
            {new String[] {"--learning-rate", "-1"}, "--learning-rate must be a finite number"},
            {new String[] {"--max-norm", "0"}, "--max-norm must be a finite number > 0"},
            {new String[] {"--steps-per-phase", "0"}, "--steps-per-phase must be >= 1"},
            {new String[] {"--checkpoint-every", "-3"}, "--checkpoint-every must be >= 1"},
            {new String[] {"--stop-after", "-1"}, "--stop-after must be >= 0"},
            {new String[] {"--batch-size", "5000"}, "--batch-size must be at most"},
            {new String[] {"--steps-per-phase", "many"}, "Invalid value for option"},
            {new String[] {"--no-such-option"}, "Unknown option"},
        };
    }

    @Test(dataProvider = "badOptions")
    public void badOptionsExitTwoWithAMessage(String[] args, String expected) {
        StringWriter err = new StringWriter();
        StringWriter out = new StringWriter();
        CommandLine cmd = FineTuneDemo.commandLine();
        cmd.setErr(new PrintWriter(err));
        cmd.setOut(new PrintWriter(out));
        assertEquals(cmd.execute(args), CommandLine.ExitCode.USAGE, String.join(" ", args));
        assertTrue(err.toString().contains(expected), "message: " + err);
        assertEquals(out.toString(), "", "nothing trained or printed to stdout");
    }

    @Test
    public void resumeWithoutACheckpointExitsTwo() throws IOException {
        Path dir = FineTuneRuns.tempDir("gradguard-finetune-empty");
        StringWriter err = new StringWriter();
        CommandLine cmd = FineTuneDemo.commandLine();
        cmd.setErr(new PrintWriter(err));
        cmd.setOut(new PrintWriter(new StringWriter()));
        assertEquals(cmd.execute("--resume", "--out", dir.toString()), CommandLine.ExitCode.USAGE);
        assertTrue(err.toString().contains("--resume: no checkpoint in"), err.toString());
        FineTuneRuns.deleteTree(dir);
    }

    @Test
    public void helpListsTheOptionsAndExitsZero() {
        StringWriter out = new StringWriter();
        CommandLine cmd = FineTuneDemo.commandLine();
        cmd.setOut(new PrintWriter(out));
        assertEquals(cmd.execute("--help"), CommandLine.ExitCode.OK);
        for (String option :
                new String[] {
                    "--engine",
                    "--precision",
                    "--optimizer",
                    "--learning-rate",
                    "--max-norm",
                    "--steps-per-phase",
                    "--checkpoint-every",
                    "--stop-after",
                    "--resume",
                    "--batch-size",
                    "--seed",
                    "--out",
                    "--pretrained",
                    "MixedPrecision.toFloat16"
                }) {
            assertTrue(out.toString().contains(option), option + " missing from --help");
        }
    }

    @Test
    public void aSmallMxNetRunWritesItsSummaryAndChart() throws IOException {
        Path dir = FineTuneRuns.tempDir("gradguard-finetune-cli");
        try {
            StringWriter out = new StringWriter();
            CommandLine cmd = FineTuneDemo.commandLine();
            cmd.setOut(new PrintWriter(out));
            int code =
                    cmd.execute(
                            "--engine",
                            "mxnet",
                            "--steps-per-phase",
                            "4",
                            "--checkpoint-every",
                            "4",
                            "--out",
                            dir.toString());
            assertEquals(code, CommandLine.ExitCode.OK, out.toString());
            String summary =
                    Files.readString(dir.resolve(FineTuneSummary.MARKDOWN), StandardCharsets.UTF_8);
            for (Phase phase : Phase.values()) {
                assertTrue(summary.contains("| " + phase.label() + " |"), summary);
            }
            assertTrue(summary.contains("MXNet, float32"), summary);
            assertTrue(summary.contains("pretrained and saved by this run"), summary);
            assertTrue(Files.size(dir.resolve(FineTuneSummary.CHART)) > 1000, "chart");
            assertTrue(
                    Files.exists(dir.resolve("checkpoints/finetune-gradguard.properties")),
                    "checkpoint");
        } finally {
            FineTuneRuns.deleteTree(dir);
        }
    }
}
