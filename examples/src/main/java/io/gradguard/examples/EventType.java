package io.gradguard.examples;

/**
 * The categorical events of the churn data set. Index 0 marks a day without events (padding).
 *
 * <p>On an active day a user picks one event type with probability proportional to {@link
 * #weight(double, boolean)}: {@code base + (1 - risk) * engagement + risk * (late ? lateRisk :
 * earlyRisk)}, where {@code risk} in [0, 1] is the user's hidden churn risk and {@code late} says
 * whether the day is in the last third of the window. Loyal users use the product features; risky
 * users file tickets, hit billing problems and, late in the window, look at the cancellation page.
 */
public enum EventType {
    /** No event that day; the padding index. */
    NONE(0, 0, 0, 0),
    /** A login. */
    LOGIN(3, 0, 0, 0),
    /** Browsing the catalogue. */
    BROWSE(2, 0, 0, 0),
    /** Use of a core feature. */
    CORE_FEATURE(0.5, 2, 0, 0),
    /** Use of an advanced feature. */
    ADVANCED_FEATURE(0, 1.5, 0, 0),
    /** A data export. */
    EXPORT(0.8, 0, 0, 0),
    /** A support ticket. */
    SUPPORT_TICKET(0.2, 0, 1.5, 3),
    /** A billing problem. */
    BILLING_ISSUE(0.1, 0, 0.8, 0.8),
    /** A visit to the cancellation page. */
    CANCEL_PAGE_VIEW(0.05, 0, 0, 1.5);

    private final double base;
    private final double engagement;
    private final double earlyRisk;
    private final double lateRisk;

    EventType(double base, double engagement, double earlyRisk, double lateRisk) {
        this.base = base;
        this.engagement = engagement;
        this.earlyRisk = earlyRisk;
        this.lateRisk = lateRisk;
    }

    /**
     * Returns the unnormalised weight of this event type on an active day.
     *
     * @param risk the user's churn risk in [0, 1]
     * @param late whether the day is in the last third of the window
     * @return the weight, {@code >= 0}; 0 for {@link #NONE}
     */
    double weight(double risk, boolean late) {
        return base + (1 - risk) * engagement + risk * (late ? lateRisk : earlyRisk);
    }

    /**
     * Returns the number of event types including the padding index: the embedding's vocabulary.
     *
     * @return the vocabulary size
     */
    static int vocabularySize() {
        return values().length;
    }
}
