package io.gradguard.event;

import java.util.Objects;

/**
 * A monitor found a pattern that deserves attention: clipping too often, or a gradient spike.
 *
 * @param step the 0-based optimizer step at which the alert was raised
 * @param kind what was detected
 * @param value the measured value: the clip rate in [0, 1] for {@link Kind#CLIP_RATE}, the spike's
 *     norm for {@link Kind#SPIKE} and {@link Kind#RECURRING_SPIKE}, the loss scale for {@link
 *     Kind#LOSS_SCALE_FLOOR}
 * @param limit the value it was compared with: the rate threshold, the spike threshold, or the
 *     scale's floor
 * @param message a readable explanation with likely causes
 */
public record AlertEvent(long step, Kind kind, double value, double limit, String message)
        implements GuardEvent {

    /**
     * Checks that kind and message are present.
     *
     * @param step the record component {@code step}
     * @param kind the record component {@code kind}
     * @param value the record component {@code value}
     * @param limit the record component {@code limit}
     * @param message the record component {@code message}
     */
    public AlertEvent {
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(message, "message");
    }

    @Override
    public Type type() {
        return Type.ALERT;
    }

    /**
     * Returns the kind and the message.
     *
     * @return for example {@code "CLIP_RATE alert at step 99: 23% of the last 100 steps ..."}
     */
    @Override
    public String toString() {
        return kind + " alert at step " + step + ": " + message;
    }

    /** What an alert is about. */
    public enum Kind {
        /** The share of clipped steps over a rolling window exceeded its threshold. */
        CLIP_RATE,
        /** A step's norm was far above the recent distribution, or non-finite. */
        SPIKE,
        /** A spike recurred on the same dataset examples in a later epoch: likely bad data. */
        RECURRING_SPIKE,
        /**
         * The dynamic loss scale backed off to its floor: gradients overflow even at the smallest
         * scale that unscaling can undo, so the model produces non-finite values by itself.
         */
        LOSS_SCALE_FLOOR
    }
}
