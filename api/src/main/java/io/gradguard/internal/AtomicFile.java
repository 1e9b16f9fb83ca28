package io.gradguard.internal;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.ThreadLocalRandom;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Replaces a file's content all at once: the bytes go into a new, uniquely named temporary file in
 * the target's directory, are forced to the storage device, and the temporary file is renamed over
 * the target atomically (with a plain replacing rename only where the file system has no atomic
 * one). Readers, concurrent writers and a crash therefore see the previous content or the new one,
 * never a mix; after concurrent writes the file holds the content of the last rename.
 */
public final class AtomicFile {

    private static final Logger logger = LoggerFactory.getLogger(AtomicFile.class);
    private static final int NAME_ATTEMPTS = 16;

    private AtomicFile() {}

    /**
     * Writes {@code content} to {@code target}, replacing it atomically. The temporary file is gone
     * when this method returns, whether it succeeded or not.
     *
     * @param target the file to write; its directory must exist and be writable
     * @param content the complete new content
     * @throws IOException naming {@code target} if it cannot be written; the previous content is
     *     then unchanged
     */
    public static void write(Path target, byte[] content) throws IOException {
        write(target, out -> out.write(content));
    }

    /**
     * Writes what {@code content} writes to {@code target}, replacing it atomically, without
     * holding it all in memory. The temporary file is gone when this method returns, whether it
     * succeeded or not.
     *
     * @param target the file to write; its directory must exist and be writable
     * @param content writes the complete new content to the stream it is given (and does not close
     *     it)
     * @throws IOException naming {@code target} if it cannot be written; the previous content is
     *     then unchanged
     */
    public static void write(Path target, Content content) throws IOException {
        Path absolute = target.toAbsolutePath();
        Path tmp;
        try {
            tmp = createTemporary(absolute);
        } catch (IOException e) {
            throw failure(target, e);
        }
        try {
            try (FileChannel channel = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
                OutputStream out = new BufferedOutputStream(Channels.newOutputStream(channel));
                content.writeTo(out);
                out.flush();
                channel.force(true);
            }
            try {
                Files.move(tmp, absolute, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, absolute, StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException e) {
            throw failure(target, e);
        } finally {
            deleteIfPresent(tmp); // already renamed away on success
        }
    }

    /**
     * Creates an empty {@code <target name>.<random>.tmp} beside {@code target} with the default
     * permissions of a new file, which the renamed file keeps ({@link Files#createTempFile} would
     * make it private to its owner).
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

    /** The content of a file, written to a stream. */
    @FunctionalInterface
    public interface Content {

        /**
         * Writes the content.
         *
         * @param out the stream to write to; not to be closed
         * @throws IOException if writing fails
         */
        void writeTo(OutputStream out) throws IOException;
    }

    private static IOException failure(Path target, IOException cause) {
        return new IOException("cannot write " + target + ": " + cause, cause);
    }

    private static void deleteIfPresent(Path tmp) {
        try {
            Files.deleteIfExists(tmp);
        } catch (IOException e) {
            logger.warn("Could not delete the temporary file {}", tmp, e);
        }
    }
}
