package io.gradguard.examples;

import io.gradguard.StepReport;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * Where the demo hands each run's step reports once the run is over: the hook for report files
 * (JSON lines) and norm charts. The demo itself writes {@code summary.md} and the story charts.
 */
@FunctionalInterface
public interface StepReportSink {

    /**
     * Receives the step reports of one finished run.
     *
     * @param runName a file-name-safe name of the run, for example {@code "pytorch-guarded"}
     * @param reports the run's step reports in step order
     * @param threshold the run's clip threshold, {@code Float.POSITIVE_INFINITY} when it never
     *     clips
     * @param outDir the demo's output directory, already created
     * @throws IOException if writing fails
     */
    void accept(String runName, List<StepReport> reports, float threshold, Path outDir)
            throws IOException;

    /**
     * Returns a sink that writes nothing.
     *
     * @return the no-op sink
     */
    static StepReportSink none() {
        return (runName, reports, threshold, outDir) -> {};
    }
}
