package io.gradguard;

import ai.djl.training.Trainer;
import io.gradguard.internal.AtomicFile;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The pair of files one {@link ClippingTrainingListener#saveState} call writes: the optimizer's
 * state first, recording a checksum of the guard state, then the guard state, each replaced
 * atomically; a pair not written by one call is refused on load.
 */
final class CheckpointFiles {

    private CheckpointFiles() {}

    /** What {@link #load} read: the guard state file, its checkpoint, the optimizer's state. */
    record Loaded(Path file, GuardCheckpoint checkpoint, OptimizerCheckpoint optimizer) {}

    static Path save(
            Path dir,
            String name,
            GuardCheckpoint checkpoint,
            OptimizerCheckpoint optimizerState,
            GuardedOptimizer optimizer,
            Trainer trainer)
            throws IOException {
        Path file = GuardStateFile.resolve(dir, name);
        byte[] guardState = GuardStateFile.bytes(checkpoint);
        optimizerState.save(
                optimizer,
                trainer,
                OptimizerStateFile.resolve(dir, name),
                OptimizerStateFile.crc(guardState));
        AtomicFile.write(file, guardState);
        return file;
    }

    static Loaded load(Path dir, String name) throws IOException {
        Path file = GuardStateFile.resolve(dir, name);
        byte[] guardState = Files.readAllBytes(file);
        GuardCheckpoint checkpoint = GuardStateFile.read(file, guardState);
        OptimizerCheckpoint optimizer = new OptimizerCheckpoint();
        optimizer.load(OptimizerStateFile.resolve(dir, name), OptimizerStateFile.crc(guardState));
        return new Loaded(file, checkpoint, optimizer);
    }
}
