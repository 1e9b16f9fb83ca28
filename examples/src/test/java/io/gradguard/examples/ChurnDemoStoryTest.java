package io.gradguard.examples;

import static org.testng.Assert.assertEquals;
import static org.testng.Assert.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.testng.annotations.Test;

/** The command line tells the story on PyTorch, in order, and writes it to summary.md. */
public class ChurnDemoStoryTest {

    @Test
    public void commandLineTellsTheStoryInOrderAndWritesTheSummary() throws Exception {
        Path out = Files.createTempDirectory("churn-demo");
        List<String> runs = new ArrayList<>();
        List<Integer> sizes = new ArrayList<>();
        StepReportSink sink =
                (name, reports, threshold, dir) -> {
                    runs.add(name);
                    sizes.add(reports.size());
                    assertEquals(dir, out);
                };
        var cmd = ChurnDemo.commandLine(sink);
        StringWriter text = new StringWriter();
        StringWriter err = new StringWriter();
        cmd.setOut(new PrintWriter(text));
        cmd.setErr(new PrintWriter(err));
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
        String console = text.toString();
        assertEquals(code, 0, console + err);
        assertEquals(
                runs,
                List.of(
                        "pytorch-unguarded",
                        "pytorch-clip-p98",
                        "pytorch-clip-1.0",
                        "pytorch-fixed-mask"));
        // 3200 training users in batches of 32: 100 steps per epoch; the unguarded run stops at
        // the end of the epoch in which it diverged.
        assertEquals(sizes.subList(1, 4), List.of(400, 400, 400));
        assertEquals(sizes.get(0) % 100, 0, "whole epochs: " + sizes);
        assertInOrder(
                console,
                "=== PyTorch ===",
                "1 Measure:",
                "ClipStrategy.calibrate recommends",
                "2 Clip: unguarded: loss NaN",
                "clip-p98",
                "3 Alert: clip-p98: clip rate",
                "4 Diagnose:",
                "Cause DATA:",
                "5 Fix: 0/1 mask",
                "The story holds");
        assertTrue(!console.contains("Training:"), "no progress bars by default");
        String summary = Files.readString(out.resolve("summary.md"));
        assertInOrder(
                summary,
                "## 1. Measure",
                "## 2. Clip",
                "## 3. Alert",
                "## 4. Diagnose",
                "## 5. Fix",
                "| metric | PyTorch unguarded | PyTorch clip-p98 | PyTorch clip-1.0 | PyTorch"
                        + " fixed-mask |",
                "![PyTorch](pytorch-story.png)",
                "The story holds on every engine.");
    }

    private static void assertInOrder(String text, String... parts) {
        int from = 0;
        for (String part : parts) {
            int at = text.indexOf(part, from);
            assertTrue(at >= 0, "'" + part + "' after position " + from + " in:\n" + text);
            from = at + part.length();
        }
    }
}
