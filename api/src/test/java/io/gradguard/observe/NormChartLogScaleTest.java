package io.gradguard.observe;

import static org.testng.Assert.assertEquals;
import static org.testng.Assert.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYSeries;
import org.testng.annotations.Test;

/**
 * A log-scale norm chart of a run whose norms include 0 (all-zero gradients) and NaN (overflows): a
 * log axis has no place for 0, so such norms leave a gap in the line, as non-finite ones do, and
 * the images still render.
 */
public class NormChartLogScaleTest {

    @Test
    public void zeroAndNanNormsRenderOnALogAxis() throws IOException {
        ChartData data = new ChartData();
        data.add(0, 0f, 2f, 1f, false, false);
        data.add(1, 1.5f, 2f, 1f, false, false);
        data.add(2, Float.NaN, 2f, 1f, false, true);
        data.add(3, 0f, 2f, 1f, false, true);
        data.add(4, 3f, 2f, 1f, true, false);
        XYChart drawn = XChartRenderer.normChart(data, 400, 300, true);
        XYSeries norms = drawn.getSeriesMap().get(XChartRenderer.NORM);
        assertTrue(Double.isNaN(norms.getYData()[0]), "a zero norm is a gap on a log axis");
        assertTrue(Double.isNaN(norms.getYData()[2]), "a NaN norm is a gap");
        assertEquals(norms.getYData()[1], 1.5);
        // Skipped steps without a drawable norm are marked at the largest drawable one, 3.
        assertEquals(
                drawn.getSeriesMap().get(XChartRenderer.SKIPPED).getYData(), new double[] {3, 3});
        assertRenders(data, true);
        // On a linear axis a zero norm is drawn at 0.
        XYChart linear = XChartRenderer.normChart(data, 400, 300, false);
        assertEquals(linear.getSeriesMap().get(XChartRenderer.NORM).getYData()[0], 0.0);
        assertRenders(data, false);
    }

    @Test
    public void aRunWithOnlyZeroAndNanNormsRendersOnALogAxis() throws IOException {
        ChartData data = new ChartData();
        data.add(0, 0f, Float.POSITIVE_INFINITY, 1f, false, false);
        data.add(1, Float.NaN, Float.POSITIVE_INFINITY, 1f, false, true);
        data.add(2, 0f, Float.POSITIVE_INFINITY, 1f, false, false);
        XYChart drawn = XChartRenderer.normChart(data, 400, 300, true);
        // Nothing is drawable: the skipped step is marked at 1, the axis's neutral value.
        assertEquals(drawn.getSeriesMap().get(XChartRenderer.SKIPPED).getYData(), new double[] {1});
        assertRenders(data, true);
    }

    private static void assertRenders(ChartData data, boolean logScale) throws IOException {
        Path dir = Files.createTempDirectory("gradguard-chart");
        Path norms = dir.resolve("norms.png");
        Path histogram = dir.resolve("histogram.png");
        XChartRenderer.write(data, norms, histogram, 400, 300, logScale);
        // A PNG starts with the bytes 0x89 'P' 'N' 'G'.
        for (Path image : new Path[] {norms, histogram}) {
            byte[] bytes = Files.readAllBytes(image);
            assertTrue(bytes.length > 100, image + " has " + bytes.length + " bytes");
            assertEquals(
                    new String(bytes, 1, 3, java.nio.charset.StandardCharsets.US_ASCII), "PNG");
        }
    }
}
