package io.gradguard.examples;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Function;

/**
 * The side-by-side summary of the demo's runs, one column per run, as plain text for the console
 * and as a Markdown table for {@code summary.md}.
 */
public final class SummaryTable {

    private final List<RunResult> runs;
    private final List<Row> rows;

    /**
     * Creates the table.
     *
     * @param runs the runs, one column each, in order
     */
    public SummaryTable(List<RunResult> runs) {
        this.runs = List.copyOf(runs);
        this.rows = rows();
    }

    private static List<Row> rows() {
        List<Row> rows = new ArrayList<>();
        rows.add(new Row("clip strategy", r -> r.settings().strategy().toString()));
        rows.add(new Row("batches", r -> Long.toString(r.batches())));
        rows.add(new Row("optimizer steps", r -> Long.toString(r.statistics().steps())));
        rows.add(
                new Row(
                        "first non-finite loss",
                        r ->
                                r.divergence()
                                        .map(
                                                d ->
                                                        "batch "
                                                                + d.batch()
                                                                + " (epoch "
                                                                + d.epoch()
                                                                + ")")
                                        .orElse("none")));
        rows.add(
                new Row(
                        "grad norm just before",
                        r -> r.divergence().map(d -> number(d.normBefore())).orElse("-")));
        rows.add(new Row("final training loss", r -> number(r.finalTrainLoss())));
        rows.add(new Row("validation loss", r -> number(r.validationLoss())));
        rows.add(
                new Row(
                        "validation loss, ordinary users",
                        r -> number(r.ordinaryValidationLoss())));
        rows.add(new Row("validation AUC", r -> fixed(r.validationAuc(), 3)));
        rows.add(
                new Row(
                        "clipped steps",
                        r ->
                                r.statistics().clippedSteps()
                                        + " ("
                                        + fixed(100 * r.statistics().clipRate(), 1)
                                        + "%)"));
        rows.add(new Row("skipped steps", r -> Long.toString(r.statistics().skippedSteps())));
        rows.add(new Row("median grad norm", r -> number(r.norms().median())));
        rows.add(new Row("p99 grad norm", r -> number(r.norms().p99())));
        rows.add(new Row("max grad norm (finite)", r -> number(r.norms().max())));
        rows.add(new Row("non-finite norms", r -> Integer.toString(r.norms().nonFinite())));
        rows.add(new Row("time per batch", r -> fixed(r.millisPerBatch(), 1) + " ms"));
        rows.add(
                new Row("non-finite weights", r -> fixed(100 * r.nonFiniteWeightShare(), 1) + "%"));
        return rows;
    }

    /**
     * Renders the table as aligned plain text.
     *
     * @return the text, ending with a newline
     */
    public String toText() {
        List<String[]> lines = cells();
        int[] widths = new int[lines.get(0).length];
        for (String[] line : lines) {
            for (int c = 0; c < line.length; c++) {
                widths[c] = Math.max(widths[c], line[c].length());
            }
        }
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < lines.size(); i++) {
            String[] line = lines.get(i);
            for (int c = 0; c < line.length; c++) {
                String format = c == 0 ? "%-" + widths[c] + "s" : "  %" + widths[c] + "s";
                out.append(String.format(Locale.ROOT, format, line[c]));
            }
            out.append('\n');
            if (i == 0) {
                int total = 0;
                for (int w : widths) {
                    total += w + 2;
                }
                out.append("-".repeat(total - 2)).append('\n');
            }
        }
        return out.toString();
    }

    /**
     * Renders the table as GitHub-flavoured Markdown.
     *
     * @return the Markdown, ending with a newline
     */
    public String toMarkdown() {
        List<String[]> lines = cells();
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < lines.size(); i++) {
            out.append("| ").append(String.join(" | ", lines.get(i))).append(" |\n");
            if (i == 0) {
                out.append("|---");
                out.append("|---:".repeat(lines.get(i).length - 1));
                out.append("|\n");
            }
        }
        return out.toString();
    }

    private List<String[]> cells() {
        List<String[]> lines = new ArrayList<>();
        String[] header = new String[runs.size() + 1];
        header[0] = "metric";
        for (int c = 0; c < runs.size(); c++) {
            RunSettings s = runs.get(c).settings();
            header[c + 1] = s.engine() + " " + s.label();
        }
        lines.add(header);
        for (Row row : rows) {
            String[] line = new String[runs.size() + 1];
            line[0] = row.name;
            for (int c = 0; c < runs.size(); c++) {
                line[c + 1] = row.value.apply(runs.get(c));
            }
            lines.add(line);
        }
        return lines;
    }

    /**
     * Formats a number compactly: fixed with 4 decimals in [1e-3, 1e4), scientific otherwise;
     * {@code NaN} and {@code Infinity} as such.
     *
     * @param value the number
     * @return the text
     */
    static String number(double value) {
        if (!Double.isFinite(value)) {
            return Double.isNaN(value) ? "NaN" : (value > 0 ? "Infinity" : "-Infinity");
        }
        double magnitude = Math.abs(value);
        if (value == 0 || (magnitude >= 1e-3 && magnitude < 1e4)) {
            return String.format(Locale.ROOT, "%.4f", value);
        }
        return String.format(Locale.ROOT, "%.2e", value);
    }

    private static String fixed(double value, int decimals) {
        if (!Double.isFinite(value)) {
            return Double.isNaN(value) ? "NaN" : "Infinity";
        }
        return String.format(Locale.ROOT, "%." + decimals + "f", value);
    }

    private record Row(String name, Function<RunResult, String> value) {}
}
