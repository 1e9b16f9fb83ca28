package io.gradguard.event;

import java.util.Locale;

/**
 * The clip strategy changed the gradient of an applied step.
 *
 * @param step the 0-based optimizer step
 * @param epoch the 0-based epoch
 * @param batchIndex the 0-based batch index within the epoch
 * @param totalNorm the pre-clip norm of the true gradient
 * @param coefficient the factor the strategy applied, below 1
 */
public record ClippedEvent(
        long step, int epoch, long batchIndex, float totalNorm, float coefficient)
        implements GuardEvent {

    @Override
    public Type type() {
        return Type.CLIPPED;
    }

    /**
     * Returns a readable sentence.
     *
     * @return for example {@code "step 12 (epoch 0, batch 12): gradient norm 5.310 clipped,
     *     coefficient 0.1883"}
     */
    @Override
    public String toString() {
        return String.format(
                Locale.ROOT,
                "step %d (epoch %d, batch %d): gradient norm %.4g clipped, coefficient %.4g",
                step,
                epoch,
                batchIndex,
                totalNorm,
                coefficient);
    }
}
