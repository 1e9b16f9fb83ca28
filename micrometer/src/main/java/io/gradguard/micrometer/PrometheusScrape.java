package io.gradguard.micrometer;

import io.gradguard.internal.AtomicFile;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Objects;

/**
 * Writes what a Prometheus server would scrape from a registry to a file, for example the final
 * state of a training job that ends before any server scrapes it (Prometheus's node exporter reads
 * such files from its textfile directory). Needs {@code
 * io.micrometer:micrometer-registry-prometheus} on the class path; this module declares it
 * optional.
 *
 * <pre>{@code
 * PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
 * GradGuardMetrics metrics = GradGuardMetrics.of("churn-lstm");
 * metrics.bindTo(registry);           // and optObserver(metrics) on the guard
 * // ... train ...
 * PrometheusScrape.write(registry, Path.of("gradguard.prom"));
 * }</pre>
 */
public final class PrometheusScrape {

    private PrometheusScrape() {}

    /**
     * Writes {@code registry.scrape()}, the Prometheus text exposition format, in UTF-8 to {@code
     * file}, replacing its content at once: the text goes to a temporary file beside it, which is
     * forced to storage and renamed over {@code file} (atomically where the file system can). A
     * reader sees the previous content or the new one, never a part.
     *
     * @param registry the registry to scrape
     * @param file the file to write; its directory must exist
     * @return the text written
     * @throws NullPointerException if {@code registry} or {@code file} is null
     * @throws IOException naming {@code file} if it cannot be written; its previous content is then
     *     unchanged
     */
    public static String write(PrometheusMeterRegistry registry, Path file) throws IOException {
        Objects.requireNonNull(registry, "registry");
        Objects.requireNonNull(file, "file");
        String text = registry.scrape();
        AtomicFile.write(file, text.getBytes(StandardCharsets.UTF_8));
        return text;
    }
}
