package io.gradguard;

import ai.djl.nn.Parameter;
import ai.djl.training.Trainer;
import ai.djl.util.Pair;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The optimizer's part of a listener's checkpoint: the companion file that {@link
 * ClippingTrainingListener#saveState} writes beside the guard state file when the trainer's
 * optimizer is a {@link GuardedOptimizer} wired to the listener, and the state read back by {@link
 * ClippingTrainingListener#loadState} until it can be put into that optimizer (the optimizer and
 * the model's parameters usually exist only after the state is loaded).
 */
final class OptimizerCheckpoint {

    private static final Logger logger = LoggerFactory.getLogger(OptimizerCheckpoint.class);

    private OptimizerState pending;
    private Path pendingFile;
    private Path missingFile;

    /**
     * Writes the optimizer's state to {@code file}, tied to the guard file content whose CRC-32 is
     * {@code guardCrc}; without a guarded optimizer, removes a {@code file} left by an earlier save
     * so that it cannot be mistaken for this checkpoint's.
     *
     * @param trainer the guarded trainer, or null if none has trained yet
     * @throws IllegalStateException if the optimizer's state cannot be saved
     */
    void save(GuardedOptimizer optimizer, Trainer trainer, Path file, long guardCrc)
            throws IOException {
        if (optimizer == null) {
            Files.deleteIfExists(file);
            return;
        }
        // State loaded but not yet put into the optimizer is this checkpoint's state.
        OptimizerState state =
                pending != null ? pending : OptimizerStateTransfer.capture(optimizer, trainer);
        OptimizerStateFile.write(state, guardCrc, file);
    }

    /**
     * Reads and validates {@code file} (or notes that it is missing), to be applied by {@link
     * #applyWhenReady}.
     *
     * @throws InvalidCheckpointException if the file is not a valid companion of the guard file
     */
    void load(Path file, long guardCrc) throws IOException {
        OptimizerState state = Files.exists(file) ? OptimizerStateFile.read(file, guardCrc) : null;
        pending = state;
        pendingFile = state != null ? file : null;
        missingFile = state != null ? null : file;
    }

    /** Returns whether loaded state waits for {@link #applyWhenReady}. */
    boolean waiting() {
        return pending != null || missingFile != null;
    }

    /**
     * Puts loaded state into the optimizer once it and the model's parameters exist; does nothing
     * before. Without the companion file, warns once that the optimizer starts afresh.
     *
     * @param optimizer the optimizer attached to the listener, or null
     * @param trainer the guarded trainer, or null
     * @param training whether a training batch has begun: the model's parameters must exist then,
     *     and an uninitialized one with saved state is refused
     * @throws InvalidCheckpointException if the state does not fit the optimizer or the model, or
     *     no guarded optimizer is there to receive it
     */
    void applyWhenReady(GuardedOptimizer optimizer, Trainer trainer, boolean training) {
        if (!waiting() || trainer == null || !(training || initialized(trainer))) {
            return;
        }
        if (optimizer == null) {
            if (pending != null) {
                Path file = pendingFile;
                clear();
                throw new InvalidCheckpointException(
                        file,
                        "it holds the optimizer's state, but the trainer's optimizer is not a"
                                + " GuardedOptimizer wired to this listener, so the state would be"
                                + " lost; build the training config with"
                                + " GradGuard.trainingConfig(loss, optimizer, listener)");
            }
            clear();
            return;
        }
        if (missingFile != null) {
            logger.warn(
                    "No optimizer state file {}: the optimizer {} resumes without its saved state"
                            + " (moments, momentum, update counts and float32 master weights start"
                            + " afresh), so the run does not continue exactly as it would have."
                            + " Checkpoints saved without a GuardedOptimizer, or by GradGuard before"
                            + " it saved optimizer state, have no such file.",
                    missingFile,
                    optimizer.getDelegate().getClass().getSimpleName());
            clear();
            return;
        }
        OptimizerState state = pending;
        Path file = pendingFile;
        clear(); // a state that does not fit is refused once, not at every batch
        OptimizerStateTransfer.apply(state, file, optimizer, trainer);
    }

    private void clear() {
        pending = null;
        pendingFile = null;
        missingFile = null;
    }

    private static boolean initialized(Trainer trainer) {
        for (Pair<String, Parameter> pair : trainer.getModel().getBlock().getParameters()) {
            if (!pair.getValue().isInitialized()) {
                return false;
            }
        }
        return true;
    }
}
