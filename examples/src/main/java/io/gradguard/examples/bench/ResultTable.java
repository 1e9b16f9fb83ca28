package io.gradguard.examples.bench;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A Markdown table with one row per measurement and one column per engine, filled cell by cell in
 * any order; rows and columns keep the order in which they first appear.
 */
final class ResultTable {

    private final String corner;
    private final List<String> columns = new ArrayList<>();
    private final Map<String, Map<String, String>> rows = new LinkedHashMap<>();

    /**
     * Creates an empty table.
     *
     * @param corner the header of the first column
     */
    ResultTable(String corner) {
        this.corner = corner;
    }

    /**
     * Sets one cell.
     *
     * @param row the row label
     * @param column the column header
     * @param text the cell
     */
    void put(String row, String column, String text) {
        if (!columns.contains(column)) {
            columns.add(column);
        }
        rows.computeIfAbsent(row, r -> new LinkedHashMap<>()).put(column, text);
    }

    /**
     * Returns the cell, or null.
     *
     * @param row the row label
     * @param column the column header
     * @return the text or null
     */
    String get(String row, String column) {
        Map<String, String> cells = rows.get(row);
        return cells == null ? null : cells.get(column);
    }

    /**
     * Renders the table as aligned Markdown; empty cells show {@code -}.
     *
     * @return the text, one line per row, header and separator first
     */
    String render() {
        int[] widths = new int[columns.size() + 1];
        widths[0] = corner.length();
        for (String row : rows.keySet()) {
            widths[0] = Math.max(widths[0], row.length());
        }
        for (int c = 0; c < columns.size(); c++) {
            widths[c + 1] = columns.get(c).length();
            for (Map<String, String> cells : rows.values()) {
                widths[c + 1] = Math.max(widths[c + 1], cell(cells, columns.get(c)).length());
            }
        }
        StringBuilder out = new StringBuilder();
        List<String> header = new ArrayList<>();
        header.add(corner);
        header.addAll(columns);
        line(out, header, widths);
        List<String> rule = new ArrayList<>();
        for (int width : widths) {
            rule.add("-".repeat(width));
        }
        line(out, rule, widths);
        for (Map.Entry<String, Map<String, String>> row : rows.entrySet()) {
            List<String> cells = new ArrayList<>();
            cells.add(row.getKey());
            for (String column : columns) {
                cells.add(cell(row.getValue(), column));
            }
            line(out, cells, widths);
        }
        return out.toString();
    }

    private static String cell(Map<String, String> cells, String column) {
        String text = cells.get(column);
        return text == null ? "-" : text;
    }

    private static void line(StringBuilder out, List<String> cells, int[] widths) {
        out.append('|');
        for (int i = 0; i < cells.size(); i++) {
            String text = cells.get(i);
            out.append(' ').append(text).append(" ".repeat(widths[i] - text.length())).append(" |");
        }
        out.append('\n');
    }
}
