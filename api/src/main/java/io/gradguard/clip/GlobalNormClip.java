package io.gradguard.clip;

import ai.djl.ndarray.NDArray;
import io.gradguard.internal.GlobalNormBound;
import io.gradguard.internal.StrategyNames;
import io.gradguard.spi.NormType;

/** {@link ClipStrategy#globalNorm(float, float)}: PyTorch's {@code clip_grad_norm_}. */
final class GlobalNormClip implements ClipStrategy, StrategyNames.Named, GlobalNormBound {

    private final float maxNorm;
    private final float normType;

    GlobalNormClip(float maxNorm, float normType) {
        this.maxNorm = Thresholds.positiveFinite("maxNorm", maxNorm);
        this.normType = NormType.check(normType);
    }

    @Override
    public ClipOutcome apply(ClipContext context) {
        NDArray raw = context.ops().totalNorm(context.gradients(), normType);
        NDArray total = ClipMath.times(raw, context.multiplier());
        NDArray coef = ClipMath.coefficient(total, maxNorm);
        context.ops().scaleInPlace(context.gradients(), ClipMath.times(coef, context.multiplier()));
        return new ClipOutcome(total, coef, ClipMath.below1(coef));
    }

    @Override
    public float threshold() {
        return maxNorm;
    }

    @Override
    public float maxNorm() {
        return maxNorm;
    }

    @Override
    public float normType() {
        return normType;
    }

    @Override
    public String checkpointName() {
        return StrategyNames.GLOBAL_NORM;
    }

    @Override
    public String toString() {
        return "globalNorm(maxNorm=" + maxNorm + ", normType=" + normType + ")";
    }
}
