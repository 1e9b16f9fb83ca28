package io.gradguard.examples;

import io.gradguard.StepReport;
import io.gradguard.event.AlertEvent;
import java.awt.BasicStroke;
import java.awt.Color;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.knowm.xchart.AnnotationLine;
import org.knowm.xchart.AnnotationText;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.XYStyler;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * Draws one engine's story in one PNG: the pre-clip gradient norms of the unguarded, the guarded
 * and the fixed-mask runs on one logarithmic axis against the epoch, the guarded run's threshold as
 * a horizontal line, and the window in which its clip-rate alert fired between two vertical lines.
 */
final class StoryChart {

    private static final int WIDTH = 1200;
    private static final int HEIGHT = 600;

    private StoryChart() {}

    /**
     * Writes the chart.
     *
     * @param story the engine's story
     * @param file the PNG to write
     * @throws IOException if writing fails
     */
    static void write(EngineStory story, Path file) throws IOException {
        XYChart chart = chart(story);
        try (OutputStream out = Files.newOutputStream(file)) {
            BitmapEncoder.saveBitmap(chart, out, BitmapEncoder.BitmapFormat.PNG);
        }
    }

    /**
     * Builds the chart.
     *
     * @param story the engine's story
     * @return the chart
     */
    static XYChart chart(EngineStory story) {
        String engine = story.unguarded().settings().engine();
        XYChart chart =
                new XYChartBuilder()
                        .width(WIDTH)
                        .height(HEIGHT)
                        .title(engine + ": gradient norm before clipping")
                        .xAxisTitle("epoch (optimizer steps / steps per epoch)")
                        .yAxisTitle("total L2 norm (log scale)")
                        .build();
        XYStyler styler = chart.getStyler();
        styler.setLegendPosition(Styler.LegendPosition.OutsideS);
        styler.setLegendLayout(Styler.LegendLayout.Horizontal);
        styler.setChartBackgroundColor(Color.WHITE);
        styler.setYAxisLogarithmic(true);
        styler.setYAxisDecimalPattern("0.#E0");
        // XChart places a tick every few dozen pixels whatever the hints; labelling whole epochs
        // only keeps the labels apart.
        styler.setxAxisTickLabelsFormattingFunction(StoryChart::epochLabel);
        RunResult guarded = story.guarded().result();
        double perEpoch =
                Math.max(1.0, (double) guarded.reports().size() / guarded.settings().epochs());
        line(chart, "unguarded", story.unguarded().reports(), perEpoch, new Color(200, 60, 60));
        line(
                chart,
                guarded.settings().label() + " (buggy mask)",
                guarded.reports(),
                perEpoch,
                Color.GRAY);
        line(
                chart,
                "fixed mask",
                story.fixed().result().reports(),
                perEpoch,
                new Color(30, 110, 200));
        int steps = guarded.reports().size();
        double threshold = guarded.settings().strategy().threshold();
        if (Double.isFinite(threshold) && steps > 0) {
            XYSeries series =
                    chart.addSeries(
                            "threshold " + StoryText.g(threshold),
                            new double[] {0, (steps - 1) / perEpoch},
                            new double[] {threshold, threshold});
            series.setMarker(SeriesMarkers.NONE);
            series.setLineColor(new Color(230, 150, 0));
            series.setLineStyle(new BasicStroke(2f));
        }
        alertWindow(chart, story.guarded().alert(), perEpoch, maxFinite(story));
        return chart;
    }

    private static String epochLabel(double x) {
        double whole = Math.rint(x);
        // A blank, not an empty string: XChart cannot lay out an empty label.
        return Math.abs(x - whole) < 1e-9 ? Long.toString((long) whole) : " ";
    }

    private static void line(
            XYChart chart, String name, List<StepReport> reports, double perEpoch, Color color) {
        int n = reports.size();
        if (n == 0) {
            return;
        }
        double[] x = new double[n];
        double[] y = new double[n];
        for (int i = 0; i < n; i++) {
            StepReport report = reports.get(i);
            x[i] = report.step() / perEpoch;
            float norm = report.totalNorm();
            // A log axis has no place for a non-finite or non-positive norm: a gap.
            y[i] = Float.isFinite(norm) && norm > 0 ? norm : Double.NaN;
        }
        XYSeries series = chart.addSeries(name, x, y);
        series.setMarker(SeriesMarkers.NONE);
        series.setLineColor(color);
        series.setLineStyle(new BasicStroke(1f));
    }

    private static void alertWindow(
            XYChart chart, Optional<AlertEvent> alert, double perEpoch, double top) {
        if (alert.isEmpty()) {
            return;
        }
        long end = alert.get().step();
        long start = Math.max(0, end - RunWatch.ALERT_WINDOW + 1);
        chart.addAnnotation(new AnnotationLine(start / perEpoch, true, false));
        chart.addAnnotation(new AnnotationLine(end / perEpoch, true, false));
        chart.addAnnotation(
                new AnnotationText(
                        "clip-rate alert: steps " + start + "-" + end,
                        (start + end) / 2.0 / perEpoch,
                        top,
                        false));
    }

    private static double maxFinite(EngineStory story) {
        double max = 1;
        for (RunResult run : List.of(story.unguarded(), story.guarded().result())) {
            for (StepReport report : run.reports()) {
                if (Float.isFinite(report.totalNorm())) {
                    max = Math.max(max, report.totalNorm());
                }
            }
        }
        return max;
    }
}
