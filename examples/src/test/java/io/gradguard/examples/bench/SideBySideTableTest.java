package io.gradguard.examples.bench;

import static org.testng.Assert.assertEquals;
import static org.testng.Assert.assertFalse;
import static org.testng.Assert.assertTrue;

import java.util.List;
import org.testng.annotations.Test;

/** The side-by-side table's ratios, targets, verdicts and layout, on timings made up by hand. */
public class SideBySideTableTest {

    private static Timing ms(double value) {
        return Timing.ofNanos(new long[] {Math.round(value * 1e6)});
    }

    /** 1.5 / 2.0 = 0.75 meets a target of at most 0.75; 2.0 / 1.6 = 1.25 misses it. */
    @Test
    public void ratioAndVerdict() {
        SideBySideTable table = new SideBySideTable();
        table.add("guarded step LSTM", "whole clip guard", ms(1.5), "torch eager", ms(2.0), 0.75);
        table.add(
                "guarded step LSTM", "whole guard + scaler", ms(2.0), "torch eager", ms(1.6), 0.75);
        String text = table.render();
        assertTrue(text.contains("| 0.75 "), text);
        assertTrue(text.contains("| 1.25 "), text);
        assertTrue(text.contains("| <= 0.75 "), text);
        assertEquals(
                table.verdicts(),
                List.of(
                        "target guarded step LSTM, whole clip guard / torch eager <= 0.75: MET"
                                + " (measured 0.75)",
                        "target guarded step LSTM, whole guard + scaler / torch eager <= 0.75:"
                                + " MISSED (measured 1.25)"));
    }

    /** A row without a target shows its ratio and dashes, and adds no verdict line. */
    @Test
    public void rowWithoutTarget() {
        SideBySideTable table = new SideBySideTable();
        table.add("clip 20 x 50000", "fused, one call", ms(0.9), "torch clip", ms(0.6), null);
        String row = table.render().split("\n")[2];
        assertTrue(row.matches(".*\\| 1\\.50 +\\| - +\\| - +\\|$"), row);
        assertTrue(table.verdicts().isEmpty());
    }

    /** A skipped reference keeps the row: "skipped", no ratio, "not measured". */
    @Test
    public void skippedReference() {
        SideBySideTable table = new SideBySideTable();
        table.add("clip 1000 x 1000", "fused, one call", ms(7.5), "torch foreach", null, 1.0);
        String row = table.render().split("\n")[2];
        assertTrue(row.contains("| skipped "), row);
        assertTrue(row.contains("| not measured "), row);
        assertFalse(row.contains("MET") || row.contains("met |"), row);
        assertEquals(
                table.verdicts(),
                List.of(
                        "target clip 1000 x 1000, fused, one call / torch foreach <= 1.00: NOT"
                                + " MEASURED"));
    }

    /** Every line has the same width and eight cells: an aligned Markdown table. */
    @Test
    public void aligned() {
        SideBySideTable table = new SideBySideTable();
        table.add("clip LSTM (11 tensors, 60481)", "fused", ms(0.31), "torch", ms(0.12), 1.0);
        table.add("clip 20 x 50000", "fused, one call", ms(12.5), "floor", ms(250), 1.3);
        String[] lines = table.render().split("\n");
        assertEquals(lines.length, 4);
        for (String line : lines) {
            assertEquals(line.length(), lines[0].length(), line);
            assertEquals(line.chars().filter(c -> c == '|').count(), 9, line);
        }
        assertTrue(lines[1].matches("\\|( -+ \\|)+"), lines[1]);
        // 12.5 / 250 = 0.05, and the timings in the format of Timing.format.
        assertTrue(lines[3].matches(".*\\| 12\\.5 \\[12\\.5-12\\.5\\] +\\|.*"), lines[3]);
        assertTrue(lines[3].matches(".*\\| 250 \\[250-250\\] +\\|.*"), lines[3]);
        assertTrue(lines[3].matches(".*\\| 0\\.05 +\\| <= 1\\.30 \\| met +\\|"), lines[3]);
    }

    /** Trials split into rounds: exactly that many round ends, the last trial among them. */
    @Test
    public void roundsSplitTrialsEvenly() {
        for (int trials = 1; trials <= 50; trials++) {
            for (int rounds = 1; rounds <= trials; rounds++) {
                int ends = 0;
                int last = -1;
                int smallest = Integer.MAX_VALUE;
                int largest = 0;
                for (int i = 0; i < trials; i++) {
                    if (ClipTimer.endsRound(i, trials, rounds)) {
                        ends++;
                        smallest = Math.min(smallest, i - last);
                        largest = Math.max(largest, i - last);
                        last = i;
                    }
                }
                String at = "trials=" + trials + ", rounds=" + rounds;
                assertEquals(ends, rounds, at);
                assertEquals(last, trials - 1, at);
                assertTrue(largest - smallest <= 1, at);
            }
        }
    }

    /**
     * {@code --torch-sets none} (or blank) turns the side-by-side table off; a set name does not.
     */
    @Test
    public void noneOption() {
        assertTrue(ClipBenchmark.isNone(List.of("none")));
        assertTrue(ClipBenchmark.isNone(List.of(" NONE ")));
        assertTrue(ClipBenchmark.isNone(List.of("")));
        assertFalse(ClipBenchmark.isNone(List.of("lstm")));
        assertFalse(ClipBenchmark.isNone(List.of("none", "lstm")));
    }
}
