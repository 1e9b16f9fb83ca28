package io.gradguard.micrometer;

import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Objects;
import java.util.concurrent.ThreadLocalRandom;

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

    private static final int NAME_ATTEMPTS = 16;

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
        replace(file.toAbsolutePath(), text.getBytes(StandardCharsets.UTF_8));
        return text;
    }

    private static void replace(Path target, byte[] content) throws IOException {
        Path tmp;
        try {
            tmp = createTemporary(target);
        } catch (IOException e) {
            throw new IOException("cannot write " + target + ": " + e, e);
        }
        try {
            try (FileChannel out = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
                ByteBuffer bytes = ByteBuffer.wrap(content);
                while (bytes.hasRemaining()) {
                    out.write(bytes);
                }
                out.force(true);
            }
            try {
                Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException e) {
            throw new IOException("cannot write " + target + ": " + e, e);
        } finally {
            try {
                Files.deleteIfExists(tmp); // renamed away on success
            } catch (IOException e) {
                // The temporary file stays; the outcome of the write is already decided.
            }
        }
    }

    /**
     * Creates an empty {@code <name>.<random>.tmp} beside {@code target} with the permissions of a
     * new file, which the renamed file keeps ({@link Files#createTempFile} would make it readable
     * by its owner only, and a metrics collector often runs as another user).
     */
    private static Path createTemporary(Path target) throws IOException {
        String prefix = target.getFileName() + ".";
        for (int attempt = 1; ; attempt++) {
            long random = ThreadLocalRandom.current().nextLong();
            Path tmp = target.resolveSibling(prefix + Long.toUnsignedString(random, 36) + ".tmp");
            try {
                return Files.createFile(tmp);
            } catch (FileAlreadyExistsException e) {
                if (attempt == NAME_ATTEMPTS) {
                    throw e;
                }
            }
        }
    }
}
