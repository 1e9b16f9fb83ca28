package io.gradguard.examples;

import static org.testng.Assert.assertEquals;
import static org.testng.Assert.assertNotNull;

import io.gradguard.ClipStatistics;
import io.gradguard.StepReport;
import io.gradguard.clip.ClipStrategy;
import io.gradguard.clip.NormDistribution;
import io.gradguard.event.AlertEvent;
import io.gradguard.observe.SpikeSummary;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import javax.imageio.ImageIO;
import org.testng.annotations.Test;

/** One engine's story chart: three runs, the threshold, and a readable PNG. */
public class StoryChartTest {

    private static List<StepReport> reports(
            int steps, java.util.function.IntToDoubleFunction norm) {
        List<StepReport> reports = new ArrayList<>();
        for (int i = 0; i < steps; i++) {
            float n = (float) norm.applyAsDouble(i);
            reports.add(new StepReport(i, i / 100, i % 100, n, 1f, n > 1, 1f, false, false, 1));
        }
        return reports;
    }

    private static RunResult run(String label, ClipStrategy strategy, List<StepReport> reports) {
        RunSettings settings =
                ChurnStoryTest.unguarded("PyTorch", OptimizerChoice.SGD, 3)
                        .with(label, strategy, false);
        return new RunResult(
                settings,
                reports.size(),
                0.5,
                0.5,
                0.5,
                0.8,
                ClipStatistics.EMPTY,
                NormSummary.of(reports),
                1.0,
                0,
                Optional.empty(),
                reports);
    }

    @Test
    public void drawsTheThreeRunsTheThresholdAndTheAlertWindow() throws Exception {
        SpikeSummary none = new SpikeSummary(0, 0, 0, List.of(), List.of(), java.util.Set.of());
        // Unguarded: norms grow tenfold every 10 steps until they overflow to NaN at step 150.
        RunResult unguarded =
                run(
                        "unguarded",
                        ClipStrategy.observeOnly(),
                        reports(160, i -> i < 150 ? Math.pow(10, i / 10.0) : Double.NaN));
        RunResult guarded =
                run(
                        "clip-p98",
                        ClipStrategy.globalNorm(30f),
                        reports(300, i -> i % 7 == 0 ? 50 : 2));
        RunResult fixed = run("fixed-mask", ClipStrategy.globalNorm(30f), reports(300, i -> 0.1));
        AlertEvent alert = new AlertEvent(99, AlertEvent.Kind.CLIP_RATE, 0.15, 0.1, "alert");
        EngineStory story =
                new EngineStory(
                        new Measurement(
                                100,
                                new NormDistribution(100, 0f, 1f, 2f, 3f, 4f, 5f),
                                2f,
                                30f,
                                0.1),
                        unguarded,
                        new WatchedRun(guarded, Optional.of(alert), 1, none),
                        Optional.empty(),
                        new WatchedRun(fixed, Optional.empty(), 0, none),
                        new Attribution(0, 0, 0, 0, 0));

        var chart = StoryChart.chart(story);
        assertEquals(
                List.copyOf(chart.getSeriesMap().keySet()),
                List.of("unguarded", "clip-p98 (buggy mask)", "fixed mask", "threshold 30.0"));
        Path png = Files.createTempFile("story", ".png");
        StoryChart.write(story, png);
        assertNotNull(ImageIO.read(png.toFile()), "a readable PNG");
        Files.delete(png);
    }
}
