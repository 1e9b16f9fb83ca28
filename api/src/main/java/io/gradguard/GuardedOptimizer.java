package io.gradguard;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.training.optimizer.Optimizer;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;

/**
 * An {@link Optimizer} decorator that lets a {@link ClippingTrainingListener} skip or delay
 * updates, and keeps float32 master weights for float16 parameters.
 *
 * <p>DJL gives listeners no way to skip {@code Trainer.step()}; this decorator receives the
 * listener's decision for each step:
 *
 * <ul>
 *   <li>apply: delegate to the wrapped optimizer; for a float16 weight, the wrapped optimizer
 *       updates a float32 master copy from the float32-cast (already unscaled and clipped)
 *       gradient, and the float16 weight is written from the master;
 *   <li>skip (non-finite gradients): no weight, moment or update-count change; the gradients are
 *       zeroed NaN-safely so that nothing leaks into the next step;
 *   <li>hold (accumulation micro-step): nothing at all; gradients keep accumulating.
 * </ul>
 *
 * DJL's first {@code Trainer.step()} throws if all gradients sum to exactly zero; gradients are
 * only ever zeroed here, inside the update, after that check.
 *
 * <p>Usually installed by {@link GradGuard#trainingConfig}.
 */
public final class GuardedOptimizer extends Optimizer {

    private final Optimizer delegate;
    private final StepGate gate;
    private final Map<String, NDArray> masters = new ConcurrentHashMap<>();

    /**
     * Wraps an optimizer so that a listener's decisions apply to it.
     *
     * @param delegate the optimizer that performs real updates
     * @param listener the listener whose decisions to follow
     */
    public GuardedOptimizer(Optimizer delegate, ClippingTrainingListener listener) {
        super(new PassThroughBuilder());
        this.delegate = Objects.requireNonNull(delegate, "delegate");
        if (delegate instanceof GuardedOptimizer) {
            throw new IllegalArgumentException("delegate is already a GuardedOptimizer");
        }
        this.gate = Objects.requireNonNull(listener, "listener").gate();
        gate.attachOptimizer();
    }

    /**
     * Returns the wrapped optimizer.
     *
     * @return the optimizer that performs real updates
     */
    public Optimizer getDelegate() {
        return delegate;
    }

    /** {@inheritDoc} */
    @Override
    public void update(String parameterId, NDArray weight, NDArray grad) {
        gate.countUpdate();
        switch (gate.decision()) {
            case HOLD -> {
                // An accumulation micro-step: keep everything.
            }
            case SKIP -> gate.zeroGradients(parameterId, weight);
            case APPLY -> {
                if (weight.getDataType() == DataType.FLOAT16) {
                    updateThroughMaster(parameterId, weight, grad);
                } else {
                    delegate.update(parameterId, weight, grad);
                }
                if (gate.zeroAfterApply()) {
                    gate.zeroGradients(parameterId, weight);
                }
            }
        }
    }

    private void updateThroughMaster(String parameterId, NDArray weight, NDArray grad) {
        String key = parameterId + '@' + weight.getDevice();
        NDArray master =
                masters.computeIfAbsent(
                        key,
                        k -> {
                            // The master must never join the autograd graph; detach explicitly
                            // rather than rely on how an engine's cast treats autograd.
                            try (NDArray detached = weight.stopGradient()) {
                                NDArray copy = detached.toType(DataType.FLOAT32, true);
                                copy.detach(); // lives as long as the optimizer, like its moments
                                return copy;
                            }
                        });
        try (NDManager scope = weight.getManager().newSubManager()) {
            NDArray grad32 = grad.toType(DataType.FLOAT32, true);
            grad32.attach(scope);
            delegate.update(parameterId, master, grad32);
            NDArray half = master.toType(DataType.FLOAT16, true);
            half.attach(scope);
            weight.set(new NDIndex("..."), half);
        }
        if (weight.hasGradient()) {
            gate.zeroGradients(parameterId, weight);
        }
    }

    /** The decorator has no hyper-parameters of its own. */
    private static final class PassThroughBuilder extends OptimizerBuilder<PassThroughBuilder> {
        @Override
        protected PassThroughBuilder self() {
            return this;
        }
    }
}
