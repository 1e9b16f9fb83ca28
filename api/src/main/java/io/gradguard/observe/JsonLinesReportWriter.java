package io.gradguard.observe;

import io.gradguard.StepDetails;
import io.gradguard.StepObserver;
import io.gradguard.StepReport;
import java.io.BufferedWriter;
import java.io.Closeable;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes one JSON object per optimizer step (JSON Lines), so that a run's norms, clips, skips and
 * data faults can be read by any tool ({@code jq}, pandas' {@code read_json(lines=True)}).
 *
 * <p>Each line holds every {@link StepReport} field under its record name ({@code step}, {@code
 * epoch}, {@code batchIndex}, {@code totalNorm}, {@code coefficient}, {@code clipped}, {@code
 * lossScale}, {@code nonFinite}, {@code skipped}, {@code microBatches}, {@code dataFault}).
 * Non-finite numbers, which JSON cannot hold, are written as the strings {@code "NaN"}, {@code
 * "Infinity"} and {@code "-Infinity"}.
 *
 * <p>Output is buffered and flushed when an epoch ends, when training ends, and on {@link
 * #close()}. An I/O error is logged once and further lines are dropped; training goes on.
 */
public final class JsonLinesReportWriter implements StepObserver, Closeable {

    private static final Logger logger = LoggerFactory.getLogger(JsonLinesReportWriter.class);

    private final Writer out;
    private final StringBuilder line = new StringBuilder(256);
    private boolean failed;

    /**
     * Creates a writer to a file, replacing it if it exists (parent directories are created).
     *
     * @param file the file
     * @throws UncheckedIOException if the file cannot be opened
     */
    public JsonLinesReportWriter(Path file) {
        this(open(file));
    }

    /**
     * Creates a writer to a character stream; it is buffered here and closed by {@link #close()}.
     *
     * @param out the stream
     */
    public JsonLinesReportWriter(Writer out) {
        Writer target = Objects.requireNonNull(out, "out");
        this.out = target instanceof BufferedWriter ? target : new BufferedWriter(target);
    }

    private static Writer open(Path file) {
        Objects.requireNonNull(file, "file");
        try {
            Path parent = file.toAbsolutePath().getParent();
            if (parent != null) {
                Files.createDirectories(parent);
            }
            return Files.newBufferedWriter(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot open the step report file " + file, e);
        }
    }

    @Override
    public void onStep(StepReport report, StepDetails details) {
        if (failed) {
            return;
        }
        line.setLength(0);
        line.append("{\"step\":").append(report.step());
        line.append(",\"epoch\":").append(report.epoch());
        line.append(",\"batchIndex\":").append(report.batchIndex());
        number("totalNorm", report.totalNorm());
        number("coefficient", report.coefficient());
        line.append(",\"clipped\":").append(report.clipped());
        number("lossScale", report.lossScale());
        line.append(",\"nonFinite\":").append(report.nonFinite());
        line.append(",\"skipped\":").append(report.skipped());
        line.append(",\"microBatches\":").append(report.microBatches());
        line.append(",\"dataFault\":").append(report.dataFault());
        line.append("}\n");
        try {
            out.write(line.toString());
        } catch (IOException e) {
            fail(e);
        }
    }

    @Override
    public void onEpochEnd(int epoch) {
        flush();
    }

    @Override
    public void onTrainingEnd() {
        flush();
    }

    /**
     * Writes out buffered lines.
     *
     * @throws UncheckedIOException never; an error is logged and further lines are dropped
     */
    public void flush() {
        if (failed) {
            return;
        }
        try {
            out.flush();
        } catch (IOException e) {
            fail(e);
        }
    }

    /**
     * Flushes and closes the stream.
     *
     * @throws IOException if closing fails
     */
    @Override
    public void close() throws IOException {
        flush();
        out.close();
    }

    private void number(String key, float value) {
        line.append(",\"").append(key).append("\":");
        if (Float.isFinite(value)) {
            line.append(value);
        } else {
            line.append('"').append(value).append('"');
        }
    }

    private void fail(IOException e) {
        failed = true;
        logger.warn("Writing step reports failed; no further lines will be written", e);
    }
}
