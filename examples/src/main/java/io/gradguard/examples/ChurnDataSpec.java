package io.gradguard.examples;

/**
 * The shape of a synthetic churn data set; see {@link ChurnDataGenerator}.
 *
 * @param users the number of users, {@code >= 10}
 * @param seqLen the window length in days, every sequence is padded to it, {@code >= 6}
 * @param longTailShare the share of long-tail power users in [0, 1)
 * @param powerUserMedianEvents the median number of events on a power user's active day, {@code >=
 *     1}
 * @param validationShare the share of users held out for validation, in (0, 1)
 * @param seed the seed; the same spec always gives the same data
 */
public record ChurnDataSpec(
        int users,
        int seqLen,
        double longTailShare,
        double powerUserMedianEvents,
        double validationShare,
        long seed) {

    /** The median daily event count of a power user in the demo's default data. */
    public static final double DEFAULT_POWER_USER_MEDIAN_EVENTS = 600;

    /** The share of users held out for validation in the demo's default data. */
    public static final double DEFAULT_VALIDATION_SHARE = 0.2;

    /**
     * Checks the values.
     *
     * @param users the record component {@code users}
     * @param seqLen the record component {@code seqLen}
     * @param longTailShare the record component {@code longTailShare}
     * @param powerUserMedianEvents the record component {@code powerUserMedianEvents}
     * @param validationShare the record component {@code validationShare}
     * @param seed the record component {@code seed}
     * @throws IllegalArgumentException naming the first value out of range
     */
    public ChurnDataSpec {
        if (users < 10) {
            throw new IllegalArgumentException("users must be >= 10, got " + users);
        }
        if (seqLen < 6) {
            throw new IllegalArgumentException("seqLen must be >= 6, got " + seqLen);
        }
        if (!(longTailShare >= 0 && longTailShare < 1)) {
            throw new IllegalArgumentException(
                    "longTailShare must be in [0, 1), got " + longTailShare);
        }
        if (!(powerUserMedianEvents >= 1 && Double.isFinite(powerUserMedianEvents))) {
            throw new IllegalArgumentException(
                    "powerUserMedianEvents must be >= 1, got " + powerUserMedianEvents);
        }
        if (!(validationShare > 0 && validationShare < 1)) {
            throw new IllegalArgumentException(
                    "validationShare must be in (0, 1), got " + validationShare);
        }
        int validation = (int) Math.round(users * validationShare);
        if (validation < 2 || users - validation < 2) {
            throw new IllegalArgumentException(
                    "validationShare " + validationShare + " leaves too few users on one side");
        }
    }

    /**
     * Returns a spec with the demo's default power-user intensity and validation share.
     *
     * @param users the number of users
     * @param seqLen the window length in days
     * @param longTailShare the share of power users
     * @param seed the seed
     * @return the spec
     */
    public static ChurnDataSpec of(int users, int seqLen, double longTailShare, long seed) {
        return new ChurnDataSpec(
                users,
                seqLen,
                longTailShare,
                DEFAULT_POWER_USER_MEDIAN_EVENTS,
                DEFAULT_VALIDATION_SHARE,
                seed);
    }

    /**
     * Returns the number of training users: the first {@code users - round(users *
     * validationShare)}.
     *
     * @return the training users
     */
    public int trainUsers() {
        return users - (int) Math.round(users * validationShare);
    }
}
