package io.gradguard.examples;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Function;

/**
 * The side-by-side summary of one engine's runs, one column per run, as plain text for the console
 * and as a Markdown table for {@code summary.md}.
 */
public final class SummaryTable {

    private final List<Column> columns;
    private final List<Row> rows;

    /**
     * Creates the table.
     *
     * @param columns the runs, one column each, in order
     */
    public SummaryTable(List<Column> columns) {
        this.columns = List.copyOf(columns);
        this.rows = rows();
    }

    /**
     * Returns the table of one engine's story: its runs in story order.
     *
     * @param story the story
     * @return the table
     */
    public static SummaryTable of(EngineStory story) {
        List<Column> columns = new ArrayList<>();
        columns.add(new Column(story.unguarded(), "-"));
        columns.add(column(story.guarded()));
        story.comparison().ifPresent(c -> columns.add(column(c)));
        columns.add(column(story.fixed()));
        return new SummaryTable(columns);
    }

    private static Column column(WatchedRun run) {
        return new Column(run.result(), run.alert().map(a -> "step " + a.step()).orElse("none"));
    }

    private static List<Row> rows() {
        List<Row> rows = new ArrayList<>();
        rows.add(new Row("clip threshold", c -> threshold(c.run())));
        rows.add(new Row("batches", c -> Long.toString(c.run().batches())));
        rows.add(
                new Row(
                        "first non-finite loss",
                        c ->
                                c.run()
                                        .divergence()
                                        .map(
                                                d ->
                                                        "batch "
                                                                + d.batch()
                                                                + " (epoch "
                                                                + d.epoch()
                                                                + ")")
                                        .orElse("none")));
        rows.add(new Row("validation AUC", c -> fixed(c.run().validationAuc(), 3)));
        rows.add(
                new Row(
                        "validation loss, ordinary users",
                        c -> number(c.run().ordinaryValidationLoss())));
        rows.add(
                new Row(
                        "clipped steps",
                        c ->
                                c.run().statistics().clippedSteps()
                                        + " ("
                                        + fixed(100 * c.run().statistics().clipRate(), 1)
                                        + "%)"));
        rows.add(new Row("clip-rate alert", Column::alert));
        rows.add(new Row("median grad norm", c -> number(c.run().norms().median())));
        rows.add(new Row("p99 grad norm", c -> number(c.run().norms().p99())));
        rows.add(new Row("max grad norm (finite)", c -> number(c.run().norms().max())));
        rows.add(
                new Row(
                        "non-finite weights",
                        c -> fixed(100 * c.run().nonFiniteWeightShare(), 1) + "%"));
        rows.add(new Row("time per batch", c -> fixed(c.run().millisPerBatch(), 1) + " ms"));
        return rows;
    }

    private static String threshold(RunResult run) {
        float t = run.settings().strategy().threshold();
        return Float.isFinite(t) ? StoryText.g(t) : "none";
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
        String[] header = new String[columns.size() + 1];
        header[0] = "metric";
        for (int c = 0; c < columns.size(); c++) {
            RunSettings s = columns.get(c).run().settings();
            header[c + 1] = s.engine() + " " + s.label();
        }
        lines.add(header);
        for (Row row : rows) {
            String[] line = new String[columns.size() + 1];
            line[0] = row.name;
            for (int c = 0; c < columns.size(); c++) {
                line[c + 1] = row.value.apply(columns.get(c));
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

    /**
     * One column: a run and how its clip-rate alert reads.
     *
     * @param run the run
     * @param alert the alert cell, for example {@code "step 234"}, {@code "none"} or {@code "-"}
     */
    public record Column(RunResult run, String alert) {}

    private record Row(String name, Function<Column, String> value) {}
}
