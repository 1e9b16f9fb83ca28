package io.gradguard.clip;

import ai.djl.ndarray.NDArray;
import io.gradguard.internal.StrategyNames;
import io.gradguard.spi.DeviceScalars;

/** {@link ClipStrategy#observeOnly()}: measures the total L2 norm, changes nothing. */
final class ObserveOnlyClip implements ClipStrategy, StrategyNames.Named {

    static final ObserveOnlyClip INSTANCE = new ObserveOnlyClip();

    private ObserveOnlyClip() {}

    @Override
    public ClipOutcome apply(ClipContext context) {
        if (context.multiplier() != null) {
            context.ops().scaleInPlace(context.gradients(), context.multiplier());
        }
        NDArray total = context.ops().totalNorm(context.gradients(), 2f);
        NDArray one = DeviceScalars.fp32(total, 1f).duplicate();
        one.attach(total.getManager());
        NDArray zero = one.sub(one);
        return new ClipOutcome(total, one, zero);
    }

    @Override
    public float threshold() {
        return Float.POSITIVE_INFINITY;
    }

    @Override
    public String checkpointName() {
        return StrategyNames.OBSERVE_ONLY;
    }

    @Override
    public String toString() {
        return "observeOnly()";
    }
}
