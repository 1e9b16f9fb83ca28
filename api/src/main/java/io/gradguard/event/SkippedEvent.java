package io.gradguard.event;

import java.util.Locale;

/**
 * The optimizer update of a step was skipped: no weight, moment or counter changed.
 *
 * @param step the 0-based optimizer step
 * @param epoch the 0-based epoch
 * @param batchIndex the 0-based batch index within the epoch
 * @param totalNorm the pre-clip norm of the true gradient (NaN or infinite on an overflow)
 * @param lossScale the loss scale used for the step's backward
 * @param nonFinite whether the skip was caused by a NaN or infinite gradient
 */
public record SkippedEvent(
        long step, int epoch, long batchIndex, float totalNorm, float lossScale, boolean nonFinite)
        implements GuardEvent {

    @Override
    public Type type() {
        return Type.SKIPPED;
    }

    /**
     * Returns a readable sentence.
     *
     * @return for example {@code "step 40 (epoch 1, batch 3): update skipped (non-finite gradient,
     *     norm NaN, loss scale 65536)"}
     */
    @Override
    public String toString() {
        return String.format(
                Locale.ROOT,
                "step %d (epoch %d, batch %d): update skipped (%s, norm %.4g, loss scale %.6g)",
                step,
                epoch,
                batchIndex,
                nonFinite ? "non-finite gradient" : "finite gradient",
                totalNorm,
                lossScale);
    }
}
