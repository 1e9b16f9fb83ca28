package io.gradguard.scale;

/** {@link LossScaler#fixed(float)} and {@link LossScaler#none()}. */
final class FixedLossScaler extends TrackedLossScaler {

    private final float scale;
    private final boolean enabled;

    FixedLossScaler(float scale, boolean enabled) {
        this.scale = scale;
        this.enabled = enabled;
    }

    @Override
    public float scale() {
        return scale;
    }

    @Override
    public boolean isEnabled() {
        return enabled;
    }

    @Override
    void onUpdate(boolean foundNonFinite) {
        // A fixed scale never changes.
    }

    @Override
    public LossScalerState state() {
        return new LossScalerState(scale, 0, 0);
    }

    @Override
    public void restore(LossScalerState state) {
        if (state.scale() != scale) {
            throw new IllegalArgumentException(
                    "state.scale must equal this fixed scaler's scale "
                            + scale
                            + ", got "
                            + state.scale());
        }
    }

    @Override
    public String checkpointKind() {
        return enabled ? KIND_FIXED : KIND_NONE;
    }

    @Override
    public String toString() {
        return enabled ? "fixed(" + scale + ")" : "none()";
    }
}
