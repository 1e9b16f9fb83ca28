package io.gradguard.examples.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The side-by-side table: one row per comparison of a GradGuard measurement with a reference
 * (PyTorch from Python, or DJL's single-tensor floor), the ratio of their medians, the target where
 * one is set, and whether it was met. A reference that was not measured (the PyTorch column
 * skipped) leaves the row in place with {@code skipped} and {@code not measured}.
 */
final class SideBySideTable {

    static final String[] HEADER = {
        "work", "GradGuard", "ms", "reference", "ms", "ratio", "target", "verdict"
    };

    static final String SKIPPED = "skipped";
    static final String NOT_MEASURED = "not measured";

    private final List<String[]> rows = new ArrayList<>();
    private final List<String> verdicts = new ArrayList<>();

    /**
     * Adds a comparison.
     *
     * @param work what both sides do, such as {@code "clip 20 x 50000"}
     * @param gradguardName the GradGuard variant, such as {@code "fused, one call"}
     * @param gradguard its timing
     * @param referenceName the reference, such as {@code "torch _foreach_* from Python"}
     * @param reference its timing, or null when it was not measured
     * @param maxRatio the target: GradGuard / reference at most this; null for no target
     */
    void add(
            String work,
            String gradguardName,
            Timing gradguard,
            String referenceName,
            Timing reference,
            Double maxRatio) {
        String target = maxRatio == null ? "-" : "<= " + ratio(maxRatio);
        String ratio = "-";
        String verdict = maxRatio == null ? "-" : NOT_MEASURED;
        if (reference != null) {
            double value = gradguard.median() / reference.median();
            ratio = ratio(value);
            if (maxRatio != null) {
                verdict = value <= maxRatio ? "met" : "missed";
            }
        }
        rows.add(
                new String[] {
                    work,
                    gradguardName,
                    gradguard.format(),
                    referenceName,
                    reference == null ? SKIPPED : reference.format(),
                    ratio,
                    target,
                    verdict
                });
        if (maxRatio != null) {
            verdicts.add(
                    String.format(
                            Locale.ROOT,
                            "target %s, %s / %s %s: %s%s",
                            work,
                            gradguardName,
                            referenceName,
                            target,
                            verdict.toUpperCase(Locale.ROOT),
                            reference == null ? "" : " (measured " + ratio + ")"));
        }
    }

    /**
     * Returns one line per row that has a target, such as {@code "target clip 20 x 50000, fused,
     * one call / torch _foreach_* from Python <= 1.00: MISSED (measured 1.12)"}.
     *
     * @return the lines, in the order the rows were added
     */
    List<String> verdicts() {
        return List.copyOf(verdicts);
    }

    /**
     * Renders the table as aligned Markdown.
     *
     * @return the header, the separator and one line per row
     */
    String render() {
        int[] widths = new int[HEADER.length];
        for (int c = 0; c < HEADER.length; c++) {
            widths[c] = HEADER[c].length();
            for (String[] row : rows) {
                widths[c] = Math.max(widths[c], row[c].length());
            }
        }
        StringBuilder out = new StringBuilder();
        line(out, HEADER, widths);
        String[] rule = new String[HEADER.length];
        for (int c = 0; c < HEADER.length; c++) {
            rule[c] = "-".repeat(widths[c]);
        }
        line(out, rule, widths);
        for (String[] row : rows) {
            line(out, row, widths);
        }
        return out.toString();
    }

    /**
     * Formats a ratio with two decimals.
     *
     * @param value the ratio
     * @return such as {@code "0.75"}
     */
    static String ratio(double value) {
        return String.format(Locale.ROOT, "%.2f", value);
    }

    private static void line(StringBuilder out, String[] cells, int[] widths) {
        out.append('|');
        for (int i = 0; i < cells.length; i++) {
            out.append(' ')
                    .append(cells[i])
                    .append(" ".repeat(widths[i] - cells[i].length()))
                    .append(" |");
        }
        out.append('\n');
    }
}
