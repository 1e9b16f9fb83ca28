package io.gradguard.examples.bench;

import ai.djl.ndarray.NDArray;
import io.gradguard.spi.GlobalNormStep;
import io.gradguard.spi.GradientOps;
import java.util.List;
import java.util.function.Supplier;

/**
 * A {@link GradientOps} decorator that adds up the wall time spent in the decorated ops, so that a
 * guard's time can be split into its multi-tensor kernels and everything else (collecting the
 * gradients, scalar arithmetic, the packed read, reports). On the PyTorch engine's CPU operators,
 * which run synchronously, the time in a call is the time of its work.
 */
final class TimedOps implements GradientOps {

    private final GradientOps delegate;
    private final boolean oneCallStep;
    private long nanos;

    /**
     * Decorates ops.
     *
     * @param delegate the ops to time
     * @param oneCallStep whether {@link #globalNormStep} reaches the delegate's own (one call on
     *     PyTorch) or runs its composition of the other methods, for comparison
     */
    TimedOps(GradientOps delegate, boolean oneCallStep) {
        this.delegate = delegate;
        this.oneCallStep = oneCallStep;
    }

    /**
     * Returns the time spent in the ops since the last call, and starts counting from 0.
     *
     * @return nanoseconds
     */
    long drainNanos() {
        long out = nanos;
        nanos = 0;
        return out;
    }

    private <T> T timed(Supplier<T> call) {
        long start = System.nanoTime();
        try {
            return call.get();
        } finally {
            nanos += System.nanoTime() - start;
        }
    }

    private void timed(Runnable call) {
        long start = System.nanoTime();
        try {
            call.run();
        } finally {
            nanos += System.nanoTime() - start;
        }
    }

    @Override
    public NDArray perTensorNorms(List<NDArray> grads, float normType) {
        return timed(() -> delegate.perTensorNorms(grads, normType));
    }

    @Override
    public NDArray totalNorm(List<NDArray> grads, float normType) {
        return timed(() -> delegate.totalNorm(grads, normType));
    }

    @Override
    public void scaleInPlace(List<NDArray> grads, NDArray factor) {
        timed(() -> delegate.scaleInPlace(grads, factor));
    }

    @Override
    public void clampInPlace(List<NDArray> grads, float limit) {
        timed(() -> delegate.clampInPlace(grads, limit));
    }

    @Override
    public NDArray nonFiniteFlag(List<NDArray> grads) {
        return timed(() -> delegate.nonFiniteFlag(grads));
    }

    @Override
    public NDArray unscaleAndCheck(List<NDArray> grads, NDArray invScale) {
        return timed(() -> delegate.unscaleAndCheck(grads, invScale));
    }

    @Override
    public void zeroInPlace(List<NDArray> grads) {
        timed(() -> delegate.zeroInPlace(grads));
    }

    @Override
    public NDArray clipByGlobalNorm(List<NDArray> grads, float maxNorm, float normType) {
        return timed(() -> delegate.clipByGlobalNorm(grads, maxNorm, normType));
    }

    @Override
    public NDArray globalNormStep(List<NDArray> grads, GlobalNormStep step) {
        return oneCallStep
                ? timed(() -> delegate.globalNormStep(grads, step))
                : step.composeWith(this, grads);
    }

    @Override
    public boolean prepareAccumulation(List<NDArray> parameters) {
        return delegate.prepareAccumulation(parameters);
    }

    @Override
    public String name() {
        return delegate.name();
    }
}
