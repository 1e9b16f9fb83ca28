package io.gradguard.examples.bench;

import ai.djl.ndarray.NDArray;
import io.gradguard.spi.GradientOps;
import java.util.List;

/**
 * Fused ops with their one-call global-norm clip hidden: {@code ClipStrategy.globalNorm} then takes
 * the total norm, computes the coefficient and scales in three steps. The benchmark times both to
 * measure what the one-call path gains.
 */
final class ThreeCallOps implements GradientOps {

    private final GradientOps delegate;

    /**
     * Wraps fused ops.
     *
     * @param delegate the ops
     */
    ThreeCallOps(GradientOps delegate) {
        this.delegate = delegate;
    }

    @Override
    public NDArray perTensorNorms(List<NDArray> grads, float normType) {
        return delegate.perTensorNorms(grads, normType);
    }

    @Override
    public NDArray totalNorm(List<NDArray> grads, float normType) {
        return delegate.totalNorm(grads, normType);
    }

    @Override
    public void scaleInPlace(List<NDArray> grads, NDArray factor) {
        delegate.scaleInPlace(grads, factor);
    }

    @Override
    public void clampInPlace(List<NDArray> grads, float limit) {
        delegate.clampInPlace(grads, limit);
    }

    @Override
    public NDArray nonFiniteFlag(List<NDArray> grads) {
        return delegate.nonFiniteFlag(grads);
    }

    @Override
    public NDArray unscaleAndCheck(List<NDArray> grads, NDArray invScale) {
        return delegate.unscaleAndCheck(grads, invScale);
    }

    @Override
    public void zeroInPlace(List<NDArray> grads) {
        delegate.zeroInPlace(grads);
    }

    @Override
    public boolean prepareAccumulation(List<NDArray> parameters) {
        return delegate.prepareAccumulation(parameters);
    }

    @Override
    public String name() {
        return delegate.name() + " (3 calls)";
    }
}
