package io.gradguard.examples;

import io.gradguard.StepDetails;
import io.gradguard.StepReport;
import io.gradguard.clip.ClipStrategy;
import io.gradguard.observe.JsonLinesReportWriter;
import io.gradguard.observe.NormChart;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * Writes each run's step reports as {@code <run>-steps.jsonl}, its pre-clip norms as {@code
 * <run>-norms.png} (log scale, with the clip threshold of runs that clip) and their histogram as
 * {@code <run>-norms-histogram.png}, using GradGuard's own report observers.
 */
final class ReportFilesSink implements StepReportSink {

    private static final StepDetails NO_DETAILS = StepDetails.none();

    /** Creates the sink. */
    ReportFilesSink() {}

    @Override
    public void accept(String runName, List<StepReport> reports, float threshold, Path outDir)
            throws IOException {
        NormChart.Builder chart =
                NormChart.builder()
                        .setOutput(outDir.resolve(runName + "-norms.png"))
                        .optHistogramOutput(outDir.resolve(runName + "-norms-histogram.png"))
                        .optLogScale(true)
                        .optWriteOnTrainingEnd(false);
        if (Float.isFinite(threshold)) {
            chart.optThreshold(ClipStrategy.globalNorm(threshold));
        }
        NormChart norms = chart.build();
        try (JsonLinesReportWriter lines =
                new JsonLinesReportWriter(outDir.resolve(runName + "-steps.jsonl"))) {
            for (StepReport report : reports) {
                lines.onStep(report, NO_DETAILS);
                norms.onStep(report, NO_DETAILS);
            }
        }
        if (!reports.isEmpty()) {
            norms.write();
        }
    }
}
