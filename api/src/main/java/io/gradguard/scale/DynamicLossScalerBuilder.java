package io.gradguard.scale;

/**
 * Builds a dynamic {@link LossScaler}; obtain one from {@link LossScaler#dynamicBuilder()}. Each
 * setter validates its own argument; {@link #build()} checks the rules across fields.
 *
 * <p>Scales and factors must be undoable: a scale, bound or factor is accepted only if its inverse
 * {@code fp32(1 / fp64(x))} is a finite normal float, which bounds every scale to about {@code
 * [2.94e-39, 8.5e37]}. The scale never leaves that range, whatever the bounds set here.
 */
public final class DynamicLossScalerBuilder {

    float initialScale = 65536f;
    float growthFactor = 2f;
    float backoffFactor = 0.5f;
    int growthInterval = 2000;
    int hysteresis = 1;
    float minScale = LossScaleRange.MIN_SCALE;
    float maxScale = LossScaleRange.MAX_SCALE;

    DynamicLossScalerBuilder() {}

    /**
     * Sets the initial scale; 2^16 by default.
     *
     * @param initialScale a value whose inverse is a finite normal float
     * @return this builder
     * @throws IllegalArgumentException if {@code 1 / initialScale} is not a finite normal float
     */
    public DynamicLossScalerBuilder optInitialScale(float initialScale) {
        this.initialScale = LossScaleRange.checkScale("initialScale", initialScale);
        return this;
    }

    /**
     * Sets the factor applied after {@code growthInterval} consecutive clean steps; 2 by default.
     *
     * @param growthFactor {@code > 1}, with a finite normal inverse
     * @return this builder
     * @throws IllegalArgumentException otherwise
     */
    public DynamicLossScalerBuilder optGrowthFactor(float growthFactor) {
        if (!(growthFactor > 1f) || !LossScaleRange.hasNormalInverse(growthFactor)) {
            throw new IllegalArgumentException(
                    "growthFactor must be > 1 with a finite normal inverse (at most "
                            + LossScaleRange.MAX_SCALE
                            + "), got "
                            + growthFactor);
        }
        this.growthFactor = growthFactor;
        return this;
    }

    /**
     * Sets the factor applied on a non-finite step; 0.5 by default.
     *
     * @param backoffFactor in {@code (0, 1)}, with a finite normal inverse
     * @return this builder
     * @throws IllegalArgumentException otherwise
     */
    public DynamicLossScalerBuilder optBackoffFactor(float backoffFactor) {
        if (!(backoffFactor < 1f) || !LossScaleRange.hasNormalInverse(backoffFactor)) {
            throw new IllegalArgumentException(
                    "backoffFactor must be in ["
                            + LossScaleRange.MIN_SCALE
                            + ", 1) so that its inverse is a finite normal float, got "
                            + backoffFactor);
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
     * Sets the smallest scale backing off may reach; by default the smallest scale whose inverse is
     * a finite normal float (about {@code 2.94e-39}). Reaching it logs a warning and raises a
     * {@code LOSS_SCALE_FLOOR} alert.
     *
     * @param minScale a value whose inverse is a finite normal float
     * @return this builder
     * @throws IllegalArgumentException if {@code 1 / minScale} is not a finite normal float
     */
    public DynamicLossScalerBuilder optMinScale(float minScale) {
        this.minScale = LossScaleRange.checkScale("minScale", minScale);
        return this;
    }

    /**
     * Sets the largest scale growing may reach; by default the largest scale whose inverse is a
     * finite normal float (about {@code 8.5e37}).
     *
     * @param maxScale a value whose inverse is a finite normal float
     * @return this builder
     * @throws IllegalArgumentException if {@code 1 / maxScale} is not a finite normal float
     */
    public DynamicLossScalerBuilder optMaxScale(float maxScale) {
        this.maxScale = LossScaleRange.checkScale("maxScale", maxScale);
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
