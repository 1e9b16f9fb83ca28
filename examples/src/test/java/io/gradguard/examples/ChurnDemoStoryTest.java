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
                        out.toString(),
                        "--prometheus",
                        out.resolve("metrics/final.prom").toString());
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
        // The final scrape counts each watched run's 400 steps, and its clip-rate alerts agree
        // with the story: at least one on the buggy data, none on the fixed data.
        List<String> scrape = Files.readAllLines(out.resolve("metrics/final.prom"));
        for (String run : List.of("clip-p98", "clip-1.0", "fixed-mask")) {
            assertEquals(sample(scrape, "gradguard_steps_total", run, ""), 400.0, run);
        }
        assertTrue(sample(scrape, "gradguard_alerts_total", "clip-p98", "clip_rate") >= 1.0);
        assertEquals(sample(scrape, "gradguard_alerts_total", "fixed-mask", "clip_rate"), 0.0);
    }

    /** Returns the value of the scrape's one sample of {@code metric} for a run (and kind). */
    private static double sample(List<String> scrape, String metric, String run, String kind) {
        List<String> lines =
                scrape.stream()
                        .filter(l -> l.startsWith(metric + "{"))
                        .filter(l -> l.contains("engine=\"pytorch\""))
                        .filter(l -> l.contains("guard=\"" + run + "\""))
                        .filter(l -> kind.isEmpty() || l.contains("kind=\"" + kind + "\""))
                        .toList();
        assertEquals(lines.size(), 1, metric + " " + run + " " + kind + " in " + scrape);
        String line = lines.get(0);
        return Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
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
