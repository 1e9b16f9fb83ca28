package io.gradguard.scale;

/**
 * The saved state of a {@link LossScaler}.
 *
 * @param scale the current scale; its inverse is a finite normal float
 * @param growthTracker consecutive clean steps since the last change of scale, {@code >= 0}
 * @param overflowStreak consecutive non-finite steps not yet acted on (hysteresis), {@code >= 0}
 */
public record LossScalerState(float scale, int growthTracker, int overflowStreak) {

    /**
     * Validates the fields.
     *
     * @param scale the record component {@code scale}
     * @param growthTracker the record component {@code growthTracker}
     * @param overflowStreak the record component {@code overflowStreak}
     */
    public LossScalerState {
        LossScaleRange.checkScale("scale", scale);
        if (growthTracker < 0) {
            throw new IllegalArgumentException("growthTracker must be >= 0, got " + growthTracker);
        }
        if (overflowStreak < 0) {
            throw new IllegalArgumentException(
                    "overflowStreak must be >= 0, got " + overflowStreak);
        }
    }
}
