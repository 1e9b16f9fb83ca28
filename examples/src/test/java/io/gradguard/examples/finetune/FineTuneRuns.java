package io.gradguard.examples.finetune;

import ai.djl.MalformedModelException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/** Small fine-tuning runs for tests, sharing one pretrained backbone per engine. */
final class FineTuneRuns {

    static final int STEPS_PER_PHASE = 6;
    static final int CHECKPOINT_EVERY = 4;
    static final long SEED = 5;

    private static final Path PRETRAINED_ROOT = tempDir("gradguard-finetune-backbone");

    private FineTuneRuns() {}

    /** Returns settings for a small run into {@code out}. */
    static FineTuneSettings settings(
            String engine,
            boolean float16,
            boolean adamW,
            Path out,
            int stopAfter,
            boolean resume) {
        return new FineTuneSettings(
                engine,
                float16,
                adamW,
                adamW ? 3e-3f : 0.05f,
                1f,
                STEPS_PER_PHASE,
                CHECKPOINT_EVERY,
                stopAfter,
                resume,
                16,
                SEED,
                out,
                PRETRAINED_ROOT.resolve(engine));
    }

    static FineTuneResult run(FineTuneSettings settings, FineTuneJob.StepProbe probe) {
        try {
            return FineTuneJob.run(settings, probe);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (MalformedModelException e) {
            throw new IllegalStateException(e);
        }
    }

    static Path tempDir(String prefix) {
        try {
            Path dir = Files.createTempDirectory(prefix);
            dir.toFile().deleteOnExit();
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
