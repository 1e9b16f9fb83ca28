package io.gradguard.observe;

import static org.testng.Assert.assertEquals;
import static org.testng.Assert.assertFalse;
import static org.testng.Assert.assertNotNull;
import static org.testng.Assert.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.gradguard.StepReport;
import io.gradguard.clip.ClipStrategy;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYSeries;
import org.testng.annotations.Test;

/** The JSON-lines writer and the PNG charts. */
public class ReportWritersTest {

    @Test
    public void writesOneJsonObjectPerStepWithEveryField() throws IOException {
        StringWriter out = new StringWriter();
        try (JsonLinesReportWriter writer = new JsonLinesReportWriter(out)) {
            writer.onStep(
                    new StepReport(0, 0, 0, 2.5f, 0.4f, true, 1f, false, false, 1),
                    new FakeDetails(List.of(), new float[0], List.of()));
            writer.onStep(FakeDetails.overflow(1, 0, 1, 65536f), FakeDetails.none());
            writer.onEpochEnd(0);
        }
        String[] lines = out.toString().split("\n");
        assertEquals(lines.length, 2);
        JsonObject first = JsonParser.parseString(lines[0]).getAsJsonObject();
        assertEquals(
                first.keySet(),
                java.util.Set.of(
                        "step",
                        "epoch",
                        "batchIndex",
                        "totalNorm",
                        "coefficient",
                        "clipped",
                        "lossScale",
                        "nonFinite",
                        "skipped",
                        "microBatches",
                        "dataFault"));
        assertEquals(first.get("totalNorm").getAsFloat(), 2.5f);
        assertEquals(first.get("coefficient").getAsFloat(), 0.4f);
        assertTrue(first.get("clipped").getAsBoolean());
        assertFalse(first.get("dataFault").getAsBoolean());
        JsonObject second = JsonParser.parseString(lines[1]).getAsJsonObject();
        assertEquals(second.get("step").getAsLong(), 1);
        assertEquals(second.get("totalNorm").getAsString(), "NaN");
        assertEquals(second.get("lossScale").getAsFloat(), 65536f);
        assertTrue(second.get("skipped").getAsBoolean());
        assertFalse(second.get("dataFault").getAsBoolean(), "an overflow, not a data fault");
    }

    @Test
    public void fileOutputIsFlushedAtEpochEnd() throws IOException {
        Path dir = Files.createTempDirectory("gradguard-jsonl");
        Path file = dir.resolve("sub/steps.jsonl");
        JsonLinesReportWriter writer = new JsonLinesReportWriter(file);
        for (int i = 0; i < 3; i++) {
            writer.onStep(FakeDetails.report(i, 0, i, 1f, false), FakeDetails.none());
        }
        writer.onEpochEnd(0);
        assertEquals(Files.readAllLines(file, StandardCharsets.UTF_8).size(), 3);
        writer.onStep(FakeDetails.report(3, 1, 0, 1f, false), FakeDetails.none());
        writer.onTrainingEnd();
        assertEquals(Files.readAllLines(file, StandardCharsets.UTF_8).size(), 4);
        writer.close();
    }

    @Test
    public void chartsAreValidImagesWithOnePointPerStep() throws IOException {
        Path dir = Files.createTempDirectory("gradguard-chart");
        NormChart chart =
                NormChart.builder()
                        .setOutput(dir.resolve("norms.png"))
                        .optSize(640, 360)
                        .optThreshold(ClipStrategy.globalNorm(2f))
                        .optWriteOnTrainingEnd(true)
                        .build();
        int clipped = 0;
        for (int step = 0; step < 50; step++) {
            float norm = 1f + (step % 7) * 0.25f;
            boolean clip = norm > 2f;
            clipped += clip ? 1 : 0;
            float lossScale = step < 25 ? 1024f : 512f;
            StepReport report =
                    step == 30
                            ? FakeDetails.overflow(step, 0, step, 1024f)
                            : new StepReport(
                                    step,
                                    0,
                                    step,
                                    norm,
                                    clip ? 0.9f : 1f,
                                    clip,
                                    lossScale,
                                    false,
                                    false,
                                    1);
            chart.onStep(report, FakeDetails.none());
        }
        chart.onTrainingEnd();
        assertEquals(chart.size(), 50);
        BufferedImage image = ImageIO.read(chart.output().toFile());
        assertNotNull(image, "a readable PNG");
        assertEquals(image.getWidth(), 640);
        assertEquals(image.getHeight(), 360);
        BufferedImage histogram = ImageIO.read(dir.resolve("norms-histogram.png").toFile());
        assertNotNull(histogram, "a readable histogram PNG");
        assertEquals(histogram.getWidth(), 640);

        XYChart drawn = XChartRenderer.normChart(chart.data(), 640, 360, false);
        XYSeries norms = drawn.getSeriesMap().get(XChartRenderer.NORM);
        assertEquals(norms.getXData().length, 50);
        assertTrue(Double.isNaN(norms.getYData()[30]), "a non-finite norm is a gap");
        assertEquals(drawn.getSeriesMap().get(XChartRenderer.THRESHOLD).getYData()[0], 2.0);
        assertEquals(drawn.getSeriesMap().get(XChartRenderer.CLIPPED).getXData().length, clipped);
        assertEquals(
                drawn.getSeriesMap().get(XChartRenderer.SKIPPED).getXData(), new double[] {30});
        XYSeries scale = drawn.getSeriesMap().get(XChartRenderer.LOSS_SCALE);
        assertNotNull(scale, "a varying loss scale is drawn");
        assertEquals(scale.getYAxisGroup(), 1);
    }

    @Test
    public void aConstantLossScaleOfOneIsNotDrawn() {
        ChartData data = new ChartData();
        for (int step = 0; step < 5; step++) {
            data.add(step, 1f, Float.POSITIVE_INFINITY, 1f, false, false);
        }
        XYChart drawn = XChartRenderer.normChart(data, 300, 200, false);
        assertEquals(drawn.getSeriesMap().keySet(), java.util.Set.of(XChartRenderer.NORM));
    }

    @Test
    public void badOptionsNameTheOptionAndValue() {
        ObserveAssertions.expectMessage(() -> NormChart.builder().optSize(50, 400), "width", "50");
        ObserveAssertions.expectMessage(
                () -> NormChart.builder().optSize(400, 20000), "height", "20000");
        IllegalStateException e =
                org.testng.Assert.expectThrows(
                        IllegalStateException.class, () -> NormChart.builder().build());
        assertTrue(e.getMessage().contains("setOutput"), e.getMessage());
    }
}
