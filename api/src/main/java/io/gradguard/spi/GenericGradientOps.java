package io.gradguard.spi;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.List;

/**
 * {@link GradientOps} on DJL's public NDArray API only, so it runs on every engine. Each tensor
 * costs a few native calls; the engine modules replace it with fused multi-tensor kernels.
 *
 * <p>Non-finite detection uses {@code g * 0}, which is 0 for finite values and NaN otherwise, so it
 * needs no {@code isInfinite} (MXNet lacks one) and cannot overflow.
 */
final class GenericGradientOps implements GradientOps {

    /** The shared instance; the class holds no state. */
    public static final GenericGradientOps INSTANCE = new GenericGradientOps();

    private GenericGradientOps() {}

    @Override
    public NDArray perTensorNorms(List<NDArray> grads, float normType) {
        NormType.check(normType);
        requireNonEmpty(grads);
        NDList partials = new NDList(grads.size());
        for (NDArray grad : grads) {
            partials.add(finishNorm(partialNorm(grad, normType), normType));
        }
        return NDArrays.stack(partials);
    }

    @Override
    public NDArray totalNorm(List<NDArray> grads, float normType) {
        NormType.check(normType);
        requireNonEmpty(grads);
        NDList partials = new NDList(grads.size());
        for (NDArray grad : grads) {
            partials.add(partialNorm(grad, normType));
        }
        NDArray stacked = NDArrays.stack(partials);
        NDArray combined = Float.isInfinite(normType) ? stacked.max() : stacked.sum();
        return finishNorm(combined, normType);
    }

    @Override
    public void scaleInPlace(List<NDArray> grads, NDArray factor) {
        for (NDArray grad : grads) {
            DataType type = grad.getDataType();
            if (type == factor.getDataType()) {
                grad.muli(factor);
            } else if (grad.size() > 0) {
                // Multiply at the factor's precision and round once: a float16 copy of a factor
                // below 2^-14 is subnormal and loses digits, below 2^-25 it is 0.
                NDArray product = grad.toType(factor.getDataType(), false).muli(factor);
                grad.set(new NDIndex("..."), product.toType(type, false));
            }
        }
    }

    @Override
    public void clampInPlace(List<NDArray> grads, float limit) {
        for (NDArray grad : grads) {
            if (grad.size() == 0) {
                continue;
            }
            grad.set(new NDIndex("..."), grad.clip(-limit, limit));
        }
    }

    @Override
    public NDArray nonFiniteFlag(List<NDArray> grads) {
        requireNonEmpty(grads);
        NDList probes = new NDList(grads.size());
        for (NDArray grad : grads) {
            probes.add(asFp32(grad.mul(0)).sum());
        }
        NDArray probe = NDArrays.stack(probes).sum();
        return probe.neq(probe).toType(DataType.FLOAT32, false);
    }

    @Override
    public NDArray unscaleAndCheck(List<NDArray> grads, NDArray invScale) {
        NDArray flag = nonFiniteFlag(grads);
        scaleInPlace(grads, invScale);
        return flag;
    }

    @Override
    public void zeroInPlace(List<NDArray> grads) {
        for (NDArray grad : grads) {
            if (grad.size() > 0) {
                grad.set(new NDIndex("..."), 0f);
            }
        }
    }

    @Override
    public String name() {
        return "generic";
    }

    /** Returns sum |g|^p (finite p) or max |g| (inf) in float32, 0 for an empty tensor. */
    private static NDArray partialNorm(NDArray grad, float normType) {
        if (grad.size() == 0) {
            return grad.getManager().zeros(new Shape(), DataType.FLOAT32, grad.getDevice());
        }
        NDArray x = asFp32(grad);
        if (Float.isInfinite(normType)) {
            return x.abs().max();
        }
        if (normType == 2f) {
            return x.square().sum();
        }
        if (normType == 1f) {
            return x.abs().sum();
        }
        return x.abs().pow(normType).sum();
    }

    /** Turns a partial from {@link #partialNorm} into a norm. */
    private static NDArray finishNorm(NDArray partial, float normType) {
        if (Float.isInfinite(normType) || normType == 1f) {
            return partial;
        }
        if (normType == 2f) {
            return partial.sqrt();
        }
        return partial.pow(1f / normType);
    }

    private static NDArray asFp32(NDArray array) {
        return array.getDataType() == DataType.FLOAT32
                ? array
                : array.toType(DataType.FLOAT32, false);
    }

    private static void requireNonEmpty(List<NDArray> grads) {
        if (grads.isEmpty()) {
            throw new IllegalArgumentException("grads is empty: at least one gradient is needed");
        }
    }
}
