package io.gradguard.it.order;

import ai.djl.ndarray.NDArray;
import io.gradguard.spi.GradientOps;
import java.util.List;

/** A {@link GradientOps} decorator that appends the name of every call to a shared log. */
final class RecordingOps implements GradientOps {

    private final GradientOps delegate;
    private final List<String> log;

    RecordingOps(GradientOps delegate, List<String> log) {
        this.delegate = delegate;
        this.log = log;
    }

    @Override
    public NDArray perTensorNorms(List<NDArray> grads, float normType) {
        log.add("perTensorNorms");
        return delegate.perTensorNorms(grads, normType);
    }

    @Override
    public NDArray totalNorm(List<NDArray> grads, float normType) {
        log.add("totalNorm");
        return delegate.totalNorm(grads, normType);
    }

    @Override
    public void scaleInPlace(List<NDArray> grads, NDArray factor) {
        log.add("scaleInPlace");
        delegate.scaleInPlace(grads, factor);
    }

    @Override
    public void clampInPlace(List<NDArray> grads, float limit) {
        log.add("clampInPlace");
        delegate.clampInPlace(grads, limit);
    }

    @Override
    public NDArray nonFiniteFlag(List<NDArray> grads) {
        log.add("nonFiniteFlag");
        return delegate.nonFiniteFlag(grads);
    }

    @Override
    public NDArray unscaleAndCheck(List<NDArray> grads, NDArray invScale) {
        log.add("unscaleAndCheck");
        return delegate.unscaleAndCheck(grads, invScale);
    }

    @Override
    public void zeroInPlace(List<NDArray> grads) {
        log.add("zeroInPlace");
        delegate.zeroInPlace(grads);
    }

    @Override
    public boolean prepareAccumulation(List<NDArray> parameters) {
        log.add("prepareAccumulation");
        return delegate.prepareAccumulation(parameters);
    }

    @Override
    public void discardGradients(List<NDArray> parameters) {
        log.add("discardGradients");
        delegate.discardGradients(parameters);
    }

    @Override
    public String name() {
        return "recording(" + delegate.name() + ")";
    }
}
