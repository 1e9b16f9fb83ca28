package io.gradguard.it;

import ai.djl.ndarray.NDArray;
import io.gradguard.spi.GradientOps;
import java.util.List;

/**
 * A {@link GradientOps} decorator for tests: it hands the real arrays behind {@link
 * HostSyncCounter} wrappers to the real implementation (engines cast to their own array classes),
 * and returns every result wrapped, so that whatever GradGuard does with a result afterwards,
 * including reading it, is counted.
 */
final class HostSyncCountingOps implements GradientOps {

    private final GradientOps delegate;
    private final HostSyncCounter counter;

    /**
     * Decorates an implementation.
     *
     * @param delegate the real ops
     * @param counter where reads of results are counted
     */
    HostSyncCountingOps(GradientOps delegate, HostSyncCounter counter) {
        this.delegate = delegate;
        this.counter = counter;
    }

    @Override
    public NDArray perTensorNorms(List<NDArray> grads, float normType) {
        return counter.wrap(delegate.perTensorNorms(HostSyncCounter.unwrapAll(grads), normType));
    }

    @Override
    public NDArray totalNorm(List<NDArray> grads, float normType) {
        return counter.wrap(delegate.totalNorm(HostSyncCounter.unwrapAll(grads), normType));
    }

    @Override
    public void scaleInPlace(List<NDArray> grads, NDArray factor) {
        delegate.scaleInPlace(HostSyncCounter.unwrapAll(grads), HostSyncCounter.unwrap(factor));
    }

    @Override
    public void clampInPlace(List<NDArray> grads, float limit) {
        delegate.clampInPlace(HostSyncCounter.unwrapAll(grads), limit);
    }

    @Override
    public NDArray nonFiniteFlag(List<NDArray> grads) {
        return counter.wrap(delegate.nonFiniteFlag(HostSyncCounter.unwrapAll(grads)));
    }

    @Override
    public NDArray unscaleAndCheck(List<NDArray> grads, NDArray invScale) {
        return counter.wrap(
                delegate.unscaleAndCheck(
                        HostSyncCounter.unwrapAll(grads), HostSyncCounter.unwrap(invScale)));
    }

    @Override
    public void zeroInPlace(List<NDArray> grads) {
        delegate.zeroInPlace(HostSyncCounter.unwrapAll(grads));
    }

    @Override
    public NDArray clipByGlobalNorm(List<NDArray> grads, float maxNorm, float normType) {
        return counter.wrap(
                delegate.clipByGlobalNorm(HostSyncCounter.unwrapAll(grads), maxNorm, normType));
    }

    @Override
    public boolean prepareAccumulation(List<NDArray> parameters) {
        return delegate.prepareAccumulation(HostSyncCounter.unwrapAll(parameters));
    }

    @Override
    public String name() {
        return "counting(" + delegate.name() + ")";
    }
}
