package io.gradguard.clip;

import ai.djl.ndarray.NDArray;
import io.gradguard.internal.StrategyNames;
import java.util.List;

/** {@link ClipStrategy#perParameterNorm(float)}: the global-norm formula per parameter. */
final class PerParameterNormClip implements ClipStrategy, StrategyNames.Named {

    private final float maxNorm;

    PerParameterNormClip(float maxNorm) {
        this.maxNorm = Thresholds.positiveFinite("maxNorm", maxNorm);
    }

    @Override
    public ClipOutcome apply(ClipContext context) {
        List<NDArray> grads = context.gradients();
        NDArray norms =
                ClipMath.times(context.ops().perTensorNorms(grads, 2f), context.multiplier());
        NDArray coefs = ClipMath.coefficient(norms, maxNorm);
        NDArray factors = ClipMath.times(coefs, context.multiplier());
        for (int i = 0; i < grads.size(); i++) {
            NDArray grad = grads.get(i);
            NDArray factor = factors.get(i);
            grad.muli(
                    factor.getDataType() == grad.getDataType()
                            ? factor
                            : factor.toType(grad.getDataType(), false));
        }
        NDArray total = norms.square().sum().sqrt();
        NDArray smallest = coefs.min();
        NDArray clipped = ClipMath.below1(smallest);
        // Every coefficient is already min(1, ...), so the smallest one is at most 1.
        return new ClipOutcome(total, smallest, clipped);
    }

    @Override
    public float threshold() {
        return maxNorm;
    }

    @Override
    public String checkpointName() {
        return StrategyNames.PER_PARAMETER_NORM;
    }

    @Override
    public String toString() {
        return "perParameterNorm(maxNorm=" + maxNorm + ")";
    }
}
