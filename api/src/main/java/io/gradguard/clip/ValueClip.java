package io.gradguard.clip;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import io.gradguard.internal.StrategyNames;
import io.gradguard.spi.DeviceScalars;

/** {@link ClipStrategy#value(float)}: PyTorch's {@code clip_grad_value_}. */
final class ValueClip implements ClipStrategy, StrategyNames.Named {

    private final float limit;

    ValueClip(float limit) {
        this.limit = Thresholds.positiveFinite("limit", limit);
    }

    @Override
    public ClipOutcome apply(ClipContext context) {
        if (context.multiplier() != null) {
            context.ops().scaleInPlace(context.gradients(), context.multiplier());
        }
        NDArray total = context.ops().totalNorm(context.gradients(), 2f);
        NDArray largest = context.ops().totalNorm(context.gradients(), Float.POSITIVE_INFINITY);
        NDArray coef = ClipMath.coefficient(largest, limit);
        context.ops().clampInPlace(context.gradients(), limit);
        NDArray clipped =
                largest.gt(DeviceScalars.fp32(largest, limit)).toType(DataType.FLOAT32, false);
        return new ClipOutcome(total, coef, clipped);
    }

    @Override
    public float threshold() {
        return limit;
    }

    @Override
    public String checkpointName() {
        return StrategyNames.VALUE;
    }

    @Override
    public String toString() {
        return "value(limit=" + limit + ")";
    }
}
