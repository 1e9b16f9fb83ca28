package io.gradguard.examples;

import io.gradguard.StepReport;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * Where the demo hands each run's step reports once the run is over: the hook for report files
 * (JSON lines) and norm charts. The demo itself only writes {@code summary.md}.
 */
@FunctionalInterface
public interface StepReportSink {

    /**
     * Receives the step reports of one finished run.
     *
     * @param runName a file-name-safe name of the run, for example {@code "pytorch-guarded"}
     * @param reports the run's step reports in step order
     * @param outDir the demo's output directory, already created
     * @throws IOException if writing fails
     */
    void accept(String runName, List<StepReport> reports, Path outDir) throws IOException;

    /**
     * Returns a sink that writes nothing.
     *
     * @return the no-op sink
     */
    static StepReportSink none() {
        return (runName, reports, outDir) -> {};
    }
}
