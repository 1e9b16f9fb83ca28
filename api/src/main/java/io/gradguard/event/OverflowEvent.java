package io.gradguard.event;

import java.util.Locale;

/**
 * A NaN or infinite gradient element was found at a step: with a loss scaler, an overflow of the
 * scaled gradient; without one, a numerical fault.
 *
 * @param step the 0-based optimizer step
 * @param epoch the 0-based epoch
 * @param batchIndex the 0-based batch index within the epoch
 * @param totalNorm the norm found (NaN or infinite)
 * @param lossScale the loss scale used for the step's backward (1 without a loss scaler)
 */
public record OverflowEvent(long step, int epoch, long batchIndex, float totalNorm, float lossScale)
        implements GuardEvent {

    @Override
    public Type type() {
        return Type.OVERFLOW;
    }

    /**
     * Returns a readable sentence.
     *
     * @return for example {@code "step 40 (epoch 1, batch 3): non-finite gradient (norm Infinity)
     *     at loss scale 65536"}
     */
    @Override
    public String toString() {
        return String.format(
                Locale.ROOT,
                "step %d (epoch %d, batch %d): non-finite gradient (norm %s) at loss scale %.6g",
                step,
                epoch,
                batchIndex,
                totalNorm,
                lossScale);
    }
}
