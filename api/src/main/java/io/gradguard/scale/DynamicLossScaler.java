package io.gradguard.scale;

import io.gradguard.internal.SingleOwner;

/**
 * {@link LossScaler#dynamic()}: PyTorch GradScaler's update rule ({@code _amp_update_scale_}), with
 * DeepSpeed-style hysteresis and optional bounds.
 *
 * <pre>
 * non-finite step: streak += 1; tracker = 0
 *                  if streak &gt;= hysteresis: S = max(S * backoff, min); streak = 0
 * clean step:      streak = 0; tracker += 1
 *                  if tracker == interval: tracker = 0
 *                                          if S * growth is finite: S = min(S * growth, max)
 * </pre>
 *
 * With hysteresis 1 and no bounds this is exactly GradScaler's sequence, except that the scale
 * never leaves the range whose inverse is a finite normal float ({@link LossScaleRange}): below it
 * unscaling would multiply by infinity.
 */
final class DynamicLossScaler extends TrackedLossScaler implements SingleOwner {

    private final Ownership ownership = new Ownership();

    @Override
    public Ownership ownership() {
        return ownership;
    }

    private final float growthFactor;
    private final float backoffFactor;
    private final int growthInterval;
    private final int hysteresis;
    private final float minScale;
    private final float maxScale;

    private float scale;
    private int growthTracker;
    private int overflowStreak;

    DynamicLossScaler(DynamicLossScalerBuilder b) {
        this.scale = b.initialScale;
        this.growthFactor = b.growthFactor;
        this.backoffFactor = b.backoffFactor;
        this.growthInterval = b.growthInterval;
        this.hysteresis = b.hysteresis;
        this.minScale = b.minScale;
        this.maxScale = b.maxScale;
    }

    @Override
    public float scale() {
        return scale;
    }

    @Override
    public boolean isEnabled() {
        return true;
    }

    @Override
    void onUpdate(boolean foundNonFinite) {
        if (foundNonFinite) {
            growthTracker = 0;
            overflowStreak++;
            if (overflowStreak >= hysteresis) {
                scale = Math.max(scale * backoffFactor, minScale);
                overflowStreak = 0;
            }
            return;
        }
        overflowStreak = 0;
        growthTracker++;
        if (growthTracker == growthInterval) {
            growthTracker = 0;
            float grown = scale * growthFactor;
            if (Float.isFinite(grown)) {
                scale = Math.min(grown, maxScale);
            }
        }
    }

    @Override
    public LossScalerState state() {
        return new LossScalerState(scale, growthTracker, overflowStreak);
    }

    @Override
    public void restore(LossScalerState state) {
        if (state.scale() < minScale || state.scale() > maxScale) {
            throw new IllegalArgumentException(
                    "state.scale "
                            + state.scale()
                            + " is outside this scaler's bounds ["
                            + minScale
                            + ", "
                            + maxScale
                            + "]");
        }
        if (state.growthTracker() >= growthInterval) {
            throw new IllegalArgumentException(
                    "state.growthTracker must be < growthInterval "
                            + growthInterval
                            + ", got "
                            + state.growthTracker());
        }
        if (state.overflowStreak() >= hysteresis) {
            throw new IllegalArgumentException(
                    "state.overflowStreak must be < hysteresis "
                            + hysteresis
                            + ", got "
                            + state.overflowStreak());
        }
        scale = state.scale();
        growthTracker = state.growthTracker();
        overflowStreak = state.overflowStreak();
    }

    @Override
    public boolean atFloor() {
        return scale <= minScale;
    }

    @Override
    public String checkpointKind() {
        return KIND_DYNAMIC;
    }

    @Override
    public String toString() {
        return "dynamic(scale="
                + scale
                + ", growth="
                + growthFactor
                + ", backoff="
                + backoffFactor
                + ", interval="
                + growthInterval
                + ", hysteresis="
                + hysteresis
                + ")";
    }
}
