package io.gradguard;

/**
 * Builds a dynamic {@link LossScaler}; obtain one from {@link LossScaler#dynamicBuilder()}. Each
 * setter validates its own argument; {@link #build()} checks the rules across fields.
 */
public final class DynamicLossScalerBuilder {

    float initialScale = 65536f;
    float growthFactor = 2f;
    float backoffFactor = 0.5f;
    int growthInterval = 2000;
    int hysteresis = 1;
    float minScale = Float.MIN_VALUE;
    float maxScale = Float.MAX_VALUE;

    DynamicLossScalerBuilder() {}

    /**
     * Sets the initial scale; 2^16 by default.
     *
     * @param initialScale finite and {@code > 0}
     * @return this builder
     */
    public DynamicLossScalerBuilder optInitialScale(float initialScale) {
        this.initialScale = Thresholds.positiveFinite("initialScale", initialScale);
        return this;
    }

    /**
     * Sets the factor applied after {@code growthInterval} consecutive clean steps; 2 by default.
     *
     * @param growthFactor finite and {@code > 1}
     * @return this builder
     */
    public DynamicLossScalerBuilder optGrowthFactor(float growthFactor) {
        if (!(growthFactor > 1f) || Float.isInfinite(growthFactor)) {
            throw new IllegalArgumentException(
                    "growthFactor must be finite and > 1, got " + growthFactor);
        }
        this.growthFactor = growthFactor;
        return this;
    }

    /**
     * Sets the factor applied on a non-finite step; 0.5 by default.
     *
     * @param backoffFactor in {@code (0, 1)}
     * @return this builder
     */
    public DynamicLossScalerBuilder optBackoffFactor(float backoffFactor) {
        if (!(backoffFactor > 0f && backoffFactor < 1f)) {
            throw new IllegalArgumentException(
                    "backoffFactor must be in (0, 1), got " + backoffFactor);
        }
        this.backoffFactor = backoffFactor;
        return this;
    }

    /**
     * Sets the number of consecutive clean steps before the scale grows; 2000 by default.
     *
     * @param growthInterval {@code >= 1}
     * @return this builder
     */
    public DynamicLossScalerBuilder optGrowthInterval(int growthInterval) {
        if (growthInterval < 1) {
            throw new IllegalArgumentException(
                    "growthInterval must be >= 1, got " + growthInterval);
        }
        this.growthInterval = growthInterval;
        return this;
    }

    /**
     * Sets how many consecutive non-finite steps it takes to back off (DeepSpeed's hysteresis); 1
     * by default, which backs off at every non-finite step as GradScaler does. Every non-finite
     * step is skipped regardless.
     *
     * @param hysteresis {@code >= 1}
     * @return this builder
     */
    public DynamicLossScalerBuilder optHysteresis(int hysteresis) {
        if (hysteresis < 1) {
            throw new IllegalArgumentException("hysteresis must be >= 1, got " + hysteresis);
        }
        this.hysteresis = hysteresis;
        return this;
    }

    /**
     * Sets the smallest scale backing off may reach; none by default.
     *
     * @param minScale finite and {@code > 0}
     * @return this builder
     */
    public DynamicLossScalerBuilder optMinScale(float minScale) {
        this.minScale = Thresholds.positiveFinite("minScale", minScale);
        return this;
    }

    /**
     * Sets the largest scale growing may reach; none by default.
     *
     * @param maxScale finite and {@code > 0}
     * @return this builder
     */
    public DynamicLossScalerBuilder optMaxScale(float maxScale) {
        this.maxScale = Thresholds.positiveFinite("maxScale", maxScale);
        return this;
    }

    /**
     * Builds the scaler.
     *
     * @return a new dynamic scaler
     * @throws IllegalStateException if {@code minScale > maxScale} or the initial scale lies
     *     outside {@code [minScale, maxScale]}
     */
    public LossScaler build() {
        if (minScale > maxScale) {
            throw new IllegalStateException(
                    "minScale " + minScale + " must not exceed maxScale " + maxScale);
        }
        if (initialScale < minScale || initialScale > maxScale) {
            throw new IllegalStateException(
                    "initialScale "
                            + initialScale
                            + " must lie in [minScale, maxScale] = ["
                            + minScale
                            + ", "
                            + maxScale
                            + "]");
        }
        return new DynamicLossScaler(this);
    }
}
