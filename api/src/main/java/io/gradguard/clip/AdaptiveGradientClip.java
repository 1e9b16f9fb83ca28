package io.gradguard.clip;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import io.gradguard.internal.StrategyNames;
import io.gradguard.spi.DeviceScalars;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;

/**
 * {@link ClipStrategy#agc(float)}: adaptive gradient clipping, unit-wise (Brock, De, Smith,
 * Simonyan, 2021, "High-Performance Large-Scale Image Recognition Without Normalization").
 *
 * <p>For every output unit {@code i} of every parameter (a slice along the first axis; each element
 * of a 0-d or 1-D parameter is its own unit):
 *
 * <pre>
 * max_i = lambda * max(||W_i||_2, 1e-3)
 * G_i  &lt;- G_i * max_i / max(||G_i||_2, 1e-6)     only where ||G_i||_2 &gt; max_i
 * </pre>
 *
 * Norms are taken in float32 on the true gradient (times the context's multiplier). Everything
 * stays on the device; nothing is read back.
 */
final class AdaptiveGradientClip implements ClipStrategy, StrategyNames.Named {

    /** The floor on a unit's weight norm, so that zero-initialized units can still move. */
    static final float WEIGHT_EPS = 1e-3f;

    /** The floor on a unit's gradient norm in the division. */
    static final float GRADIENT_EPS = 1e-6f;

    private final float clipFactor;

    AdaptiveGradientClip(float clipFactor) {
        this.clipFactor = Thresholds.positiveFinite("clipFactor", clipFactor);
    }

    @Override
    public ClipOutcome apply(ClipContext context) {
        List<NDArray> grads = context.gradients();
        NDArray multiplier = context.multiplier();
        NDArray total = ClipMath.times(context.ops().totalNorm(grads, 2f), multiplier);
        NDManager home = total.getManager();
        try (NDManager scope = home.newSubManager()) {
            Set<NDArray> own = Collections.newSetFromMap(new IdentityHashMap<>());
            own.addAll(grads);
            for (NDArray weight : context.weights()) {
                if (own.add(weight)) {
                    scope.tempAttachAll(weight);
                }
            }
            NDList minima = new NDList(grads.size());
            for (int i = 0; i < grads.size(); i++) {
                NDArray grad = grads.get(i);
                if (grad.size() == 0) {
                    continue;
                }
                NDArray factor = unitFactor(grad, context.weights().get(i), multiplier);
                minima.add(factor.min());
                NDArray applied = ClipMath.times(factor, multiplier);
                grad.muli(
                        applied.getDataType() == grad.getDataType()
                                ? applied
                                : applied.toType(grad.getDataType(), false));
            }
            NDArray smallest =
                    minima.isEmpty()
                            ? HostClip.scalar(total, 1f)
                            : NDArrays.stack(minima).min().minimum(DeviceScalars.fp32(total, 1f));
            smallest.attach(home);
            return new ClipOutcome(total, smallest, ClipMath.below1(smallest));
        }
    }

    /** Returns the per-unit factor (1 where unclipped), shaped to broadcast against the grad. */
    private NDArray unitFactor(NDArray grad, NDArray weight, NDArray multiplier) {
        NDArray gradNorm = ClipMath.times(unitNorms(grad), multiplier);
        NDArray weightNorm = unitNorms(weight);
        NDArray maxNorm =
                weightNorm
                        .maximum(DeviceScalars.fp32(weightNorm, WEIGHT_EPS))
                        .mul(DeviceScalars.fp32(weightNorm, clipFactor));
        NDArray ratio = maxNorm.div(gradNorm.maximum(DeviceScalars.fp32(gradNorm, GRADIENT_EPS)));
        return NDArrays.where(gradNorm.gt(maxNorm), ratio, DeviceScalars.fp32(ratio, 1f));
    }

    /** Returns ||x_i||_2 per unit in float32: |x| for 0-d and 1-D, else over axes 1..n-1. */
    private static NDArray unitNorms(NDArray x) {
        NDArray f = x.getDataType() == DataType.FLOAT32 ? x : x.toType(DataType.FLOAT32, false);
        int rank = f.getShape().dimension();
        if (rank <= 1) {
            return f.abs();
        }
        int[] axes = new int[rank - 1];
        for (int a = 1; a < rank; a++) {
            axes[a - 1] = a;
        }
        return f.square().sum(axes, true).sqrt();
    }

    @Override
    public float threshold() {
        return clipFactor;
    }

    @Override
    public String checkpointName() {
        return StrategyNames.AGC;
    }

    @Override
    public String toString() {
        return "agc(clipFactor=" + clipFactor + ")";
    }
}
