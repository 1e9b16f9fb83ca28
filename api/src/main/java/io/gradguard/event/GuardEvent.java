package io.gradguard.event;

/**
 * Something notable that happened at an optimizer step of a guarded training run. Events are
 * immutable values; {@code toString()} gives a readable sentence.
 *
 * <p>Published by {@link GuardEventPublisher}; subscribe with its {@code onX} methods.
 */
public sealed interface GuardEvent permits ClippedEvent, SkippedEvent, OverflowEvent, AlertEvent {

    /**
     * Returns the 0-based optimizer step the event belongs to.
     *
     * @return the step index
     */
    long step();

    /**
     * Returns the kind of event, for switches and filters.
     *
     * @return the type
     */
    Type type();

    /** The kinds of event. */
    enum Type {
        /** The strategy changed the step's gradient ({@link ClippedEvent}). */
        CLIPPED,
        /** The optimizer update was skipped ({@link SkippedEvent}). */
        SKIPPED,
        /** A NaN or infinite gradient element was found ({@link OverflowEvent}). */
        OVERFLOW,
        /** A monitor raised an alert ({@link AlertEvent}). */
        ALERT
    }
}
