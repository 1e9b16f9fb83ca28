package io.gradguard.examples;

import static org.testng.Assert.assertEquals;
import static org.testng.Assert.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;
import org.testng.annotations.DataProvider;
import org.testng.annotations.Test;
import picocli.CommandLine;

public class ChurnDemoOptionsTest {

    @DataProvider
    public Object[][] badOptions() {
        return new Object[][] {
            {new String[] {"--engine", "tensorflow"}, "--engine"},
            {new String[] {"--strategy", "clip-everything"}, "strategy must be one of"},
            {new String[] {"--optimizer", "lion"}, "optimizer must be one of"},
            {new String[] {"--epochs", "0"}, "--epochs must be >= 1"},
            {new String[] {"--measure-steps", "0"}, "--measure-steps must be >= 1"},
            {new String[] {"--full", "--seq-len", "3"}, "--seq-len must be >= 6, got 3"},
            {new String[] {"--epochs", "many"}, "--epochs"},
            {new String[] {"--max-norm", "-1"}, "--max-norm must be"},
            {new String[] {"--max-norm", "NaN"}, "--max-norm must be"},
            {new String[] {"--learning-rate", "0"}, "--learning-rate must be"},
            {new String[] {"--accumulate", "0"}, "--accumulate must be >= 1"},
            {new String[] {"--users", "5"}, "--users must be >= 10"},
            {new String[] {"--seq-len", "2"}, "--seq-len must be >= 6"},
            {new String[] {"--hidden", "0"}, "--hidden must be >= 1"},
            {new String[] {"--layers", "-2"}, "--layers must be >= 1"},
            {new String[] {"--batch-size", "0"}, "--batch-size must be >= 1"},
            {new String[] {"--batch-size", "5000"}, "exceeds the 3200 training users"},
            {new String[] {"--long-tail-share", "1.5"}, "--long-tail-share must be in [0, 1)"},
            {new String[] {"--no-such-option"}, "Unknown option"},
        };
    }

    @Test(dataProvider = "badOptions")
    public void badOptionsExitWithUsageErrorAndMessage(String[] args, String expected) {
        StringWriter err = new StringWriter();
        StringWriter out = new StringWriter();
        CommandLine cmd = ChurnDemo.commandLine();
        cmd.setErr(new PrintWriter(err));
        cmd.setOut(new PrintWriter(out));
        int code = cmd.execute(args);
        assertEquals(code, CommandLine.ExitCode.USAGE, "exit code for " + String.join(" ", args));
        assertTrue(err.toString().contains(expected), "message: " + err);
        assertEquals(out.toString(), "", "nothing trained or printed to stdout");
    }

    @Test
    public void helpListsTheOptionsAndExitsZero() {
        StringWriter out = new StringWriter();
        CommandLine cmd = ChurnDemo.commandLine();
        cmd.setOut(new PrintWriter(out));
        assertEquals(cmd.execute("--help"), CommandLine.ExitCode.OK);
        String help = out.toString();
        for (String option :
                new String[] {
                    "--engine",
                    "--epochs",
                    "--max-norm",
                    "--strategy",
                    "--optimizer",
                    "--amp",
                    "--accumulate",
                    "--seed",
                    "--out",
                    "--users",
                    "--seq-len",
                    "--hidden",
                    "--layers",
                    "--batch-size",
                    "--long-tail-share",
                    "--full",
                    "--progress",
                    "--measure-steps"
                }) {
            assertTrue(help.contains(option), option + " missing from --help");
        }
        assertTrue(help.contains("AdamW"), "the help explains the optimizer choice");
        assertTrue(help.contains("Exit codes: 0"), "the help lists the exit codes");
        assertTrue(help.contains("--full about"), "the help gives the full size's time");
    }

    @Test
    public void fullSetsTheFullSizeAndExplicitOptionsWin() {
        ModelOptions plain = new ModelOptions();
        new CommandLine(plain).parseArgs();
        assertEquals(
                List.of(plain.seqLen(), plain.hidden(), plain.layers(), plain.batchSize()),
                List.of(90, 32, 1, 32));
        assertEquals(plain.dropRate(), 0.2f);

        ModelOptions full = new ModelOptions();
        new CommandLine(full).parseArgs("--full");
        assertEquals(
                List.of(full.seqLen(), full.hidden(), full.layers(), full.batchSize()),
                List.of(180, 256, 2, 64));
        assertEquals(full.dropRate(), 0.3f);

        ModelOptions mixed = new ModelOptions();
        new CommandLine(mixed).parseArgs("--full", "--hidden", "64", "--users", "500");
        assertEquals(List.of(mixed.seqLen(), mixed.hidden(), mixed.users), List.of(180, 64, 500));
    }
}
