package io.gradguard.observe;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.Histogram;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * Draws {@link ChartData} with XChart. The only class that links against XChart; loaded only when
 * {@link NormChart} writes.
 */
final class XChartRenderer {

    static final String NORM = "pre-clip norm";
    static final String THRESHOLD = "threshold";
    static final String CLIPPED = "clipped";
    static final String SKIPPED = "skipped";
    static final String LOSS_SCALE = "loss scale";
    static final String HISTOGRAM = "norms";

    private XChartRenderer() {}

    static void write(
            ChartData data,
            Path output,
            Path histogramOutput,
            int width,
            int height,
            boolean logScale) {
        save(normChart(data, width, height, logScale), output);
        save(histogram(data, width, height), histogramOutput);
    }

    static XYChart normChart(ChartData data, int width, int height, boolean logScale) {
        XYChart chart =
                new XYChartBuilder()
                        .width(width)
                        .height(height)
                        .title("Gradient norm before clipping")
                        .xAxisTitle("optimizer step")
                        .yAxisTitle("total L2 norm")
                        .build();
        chart.getStyler().setLegendPosition(Styler.LegendPosition.InsideNW);
        chart.getStyler().setYAxisLogarithmic(logScale);
        int n = data.size();
        double[] x = new double[n];
        double[] norms = new double[n];
        double[] thresholds = new double[n];
        double largest = Double.NaN;
        boolean anyThreshold = false;
        boolean scaled = false;
        for (int i = 0; i < n; i++) {
            x[i] = data.step(i);
            norms[i] = drawable(data.norm(i), logScale);
            thresholds[i] = drawable(data.threshold(i), logScale);
            anyThreshold |= Double.isFinite(thresholds[i]);
            scaled |= data.lossScale(i) != 1.0;
            if (Double.isFinite(norms[i]) && !(norms[i] <= largest)) {
                largest = norms[i];
            }
        }
        if (Double.isNaN(largest)) {
            // No drawable norm: markers go to the axis's neutral value (1 on a log axis).
            largest = logScale ? 1 : 0;
        }
        line(chart.addSeries(NORM, x, norms));
        if (anyThreshold) {
            line(chart.addSeries(THRESHOLD, x, thresholds));
        }
        markers(chart, CLIPPED, norms, data, largest, false, SeriesMarkers.CIRCLE);
        markers(chart, SKIPPED, norms, data, largest, true, SeriesMarkers.CROSS);
        if (scaled) {
            double[] scales = new double[n];
            for (int i = 0; i < n; i++) {
                scales[i] = data.lossScale(i);
            }
            XYSeries series = chart.addSeries(LOSS_SCALE, x, scales);
            line(series);
            series.setYAxisGroup(1);
            chart.setYAxisGroupTitle(1, LOSS_SCALE);
            chart.getStyler().setYAxisGroupPosition(1, Styler.YAxisPosition.Right);
        }
        return chart;
    }

    static CategoryChart histogram(ChartData data, int width, int height) {
        List<Double> finite = new ArrayList<>(data.size());
        for (int i = 0; i < data.size(); i++) {
            if (Double.isFinite(data.norm(i))) {
                finite.add(data.norm(i));
            }
        }
        if (finite.isEmpty()) {
            finite.add(0.0);
        }
        int bins = (int) Math.max(1, Math.min(50, Math.round(Math.sqrt(finite.size()))));
        Histogram histogram = new Histogram(finite, bins);
        CategoryChart chart =
                new CategoryChartBuilder()
                        .width(width)
                        .height(height)
                        .title("Distribution of finite gradient norms (" + finite.size() + ")")
                        .xAxisTitle("total L2 norm")
                        .yAxisTitle("steps")
                        .build();
        chart.getStyler().setLegendVisible(false);
        double top = finite.stream().mapToDouble(Double::doubleValue).max().orElse(0);
        chart.getStyler().setXAxisDecimalPattern(top < 0.01 || top >= 1e5 ? "0.##E0" : "0.###");
        chart.getStyler().setXAxisLabelRotation(45);
        chart.addSeries(HISTOGRAM, histogram.getxAxisData(), histogram.getyAxisData());
        return chart;
    }

    private static void markers(
            XYChart chart,
            String name,
            double[] norms,
            ChartData data,
            double largest,
            boolean skippedSeries,
            org.knowm.xchart.style.markers.Marker marker) {
        double[] x = new double[data.size()];
        double[] y = new double[data.size()];
        int count = 0;
        for (int i = 0; i < data.size(); i++) {
            if (skippedSeries ? data.skipped(i) : data.clipped(i)) {
                x[count] = data.step(i);
                y[count] = Double.isFinite(norms[i]) ? norms[i] : largest;
                count++;
            }
        }
        if (count == 0) {
            return;
        }
        XYSeries series = chart.addSeries(name, Arrays.copyOf(x, count), Arrays.copyOf(y, count));
        series.setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Scatter);
        series.setMarker(marker);
    }

    private static void line(XYSeries series) {
        series.setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Line);
        series.setMarker(SeriesMarkers.NONE);
    }

    /**
     * Returns the value to draw, or NaN (a gap) for a value with no place on the axis: a non-finite
     * one, or on a log axis one that is not positive.
     */
    private static double drawable(double value, boolean logScale) {
        return Double.isFinite(value) && (!logScale || value > 0) ? value : Double.NaN;
    }

    private static void save(org.knowm.xchart.internal.chartpart.Chart<?, ?> chart, Path file) {
        try {
            Path parent = file.toAbsolutePath().getParent();
            if (parent != null) {
                Files.createDirectories(parent);
            }
            try (OutputStream out = Files.newOutputStream(file)) {
                BitmapEncoder.saveBitmap(chart, out, BitmapEncoder.BitmapFormat.PNG);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot write the chart " + file, e);
        }
    }
}
