package io.gradguard;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.training.optimizer.Optimizer;
import io.gradguard.internal.DjlOptimizerState;
import io.gradguard.internal.TrackedScale;
import io.gradguard.scale.LossScaler;
import java.util.Collections;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BiPredicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

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
 * <p>The decorator never updates a parameter whose step its listener did not process: an update
 * before the listener's first decision, or a second update of a parameter since the listener last
 * decided (the listener is not registered on the trainer, or {@code Trainer.step()} ran twice for
 * one batch), throws an {@link IllegalStateException} and leaves the weights untouched. Where the
 * engine swallows that exception (MXNet calls {@code update} from native code), it is logged and
 * thrown again by the {@link ScaledLoss} at the next forward pass; a configuration wired by hand on
 * MXNet must therefore use a {@link ScaledLoss} (as {@link GradGuard#trainingConfig} does), or the
 * refusal shows only in the log (the first refusal and every thousandth are logged at ERROR).
 *
 * <p>A listener built into several configurations follows the optimizer of the trainer it guards:
 * the one paired with the trainer's {@link ScaledLoss} by {@link GradGuard#trainingConfig} when the
 * trainer is created, otherwise the last one built, and in every case the one that last updated.
 * Checkpoints and {@link MixedPrecision#toFloat16} reach that one.
 *
 * <p>A parameter that becomes trainable between the listener's decision and {@code Trainer.step()}
 * (unfrozen after {@code trainBatch}) is not updated at that step: its gradient was never checked
 * or clipped. Its gradient is discarded and it trains from the next step on.
 *
 * <p>Master weights: the float32 master of a float16 weight is taken from the weight at its first
 * update, unless {@link MixedPrecision#toFloat16} set it from the float32 value the weight had
 * before its conversion, and is the truth from then on; each update writes the float16 weight from
 * it. A change made to a float16 weight in place outside the optimizer is therefore overwritten at
 * the next update, unless {@link #resyncMasterWeights()} is called after it. The masters, with the
 * wrapped optimizer's moments and update counts, are saved and restored by {@link
 * ClippingTrainingListener#saveState} and {@link ClippingTrainingListener#loadState}, so that a
 * resumed run does not rebuild them from the rounded float16 weights.
 *
 * <p>Step count: DJL's optimizers use the largest update count so far as the step {@code t} and
 * raise it while updating parameters in the order of a hash map keyed by per-process ids, so a
 * parameter that started training late (gradual unfreezing) could see {@code t} or {@code t + 1}
 * depending on the process. Before the first update of an applied step, this decorator raises that
 * count to its value at the end of the step, so every parameter of the step sees the same {@code
 * t}, on every training device (DJL updates each device's copy in turn, each raising the count) and
 * in every process (through DJL 0.35.1's private fields; on one device, parameters updated in lock
 * step see what they saw without it).
 *
 * <p>Usually installed by {@link GradGuard#trainingConfig}.
 */
public final class GuardedOptimizer extends Optimizer {

    private static final Logger logger = LoggerFactory.getLogger(GuardedOptimizer.class);

    private final Optimizer delegate;
    private final StepGate gate;
    private final Map<String, NDArray> masters = new ConcurrentHashMap<>();
    private final LossScaler scaler;
    private final AtomicLong refusals = new AtomicLong();
    private volatile boolean unguardedLogged;
    private volatile boolean stepCountPinned = true;

    /**
     * Wraps an optimizer so that a listener's decisions apply to it.
     *
     * @param delegate the optimizer that performs real updates
     * @param listener the listener whose decisions to follow
     */
    @SuppressWarnings("this-escape") // the gate only keeps the reference for MixedPrecision
    public GuardedOptimizer(Optimizer delegate, ClippingTrainingListener listener) {
        super(new PassThroughBuilder());
        this.delegate = Objects.requireNonNull(delegate, "delegate");
        if (delegate instanceof GuardedOptimizer) {
            throw new IllegalArgumentException("delegate is already a GuardedOptimizer");
        }
        this.gate = Objects.requireNonNull(listener, "listener").gate();
        this.scaler = listener.getLossScaler();
        gate.attachOptimizer(this);
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
        StepDecision.Action action;
        try {
            if (gate.optimizer() != this) {
                // The optimizer that updates is the one whose state checkpoints must save.
                gate.attachOptimizer(this);
            }
            action = gate.admit(parameterId, weight);
        } catch (IllegalStateException e) {
            refuse(e);
            throw e;
        }
        switch (action) {
            case HOLD -> {
                // An accumulation micro-step: keep everything.
            }
            case SKIP, ERROR -> gate.zeroGradients(parameterId, weight);
            case APPLY -> {
                if (!gate.guards(parameterId)) {
                    // Unfrozen after the listener processed this step: its gradient was never
                    // checked or clipped, so it waits for the next step.
                    gate.zeroGradients(parameterId, weight);
                    warnUnguarded(parameterId);
                    return;
                }
                if (gate.firstApplyOfStep()) {
                    advanceStepCount();
                }
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

    /**
     * Drops the float32 master weights, so that the next update of each float16 parameter starts
     * from its current float16 value. Call it after changing float16 weights outside the optimizer
     * (loading, editing or averaging them in place); otherwise the next update overwrites such an
     * edit with the master copy.
     */
    public void resyncMasterWeights() {
        for (NDArray master : masters.values()) {
            master.close();
        }
        masters.clear();
    }

    /**
     * Returns the float32 master weight this optimizer holds for a float16 parameter on a device:
     * the array its updates start from. The array belongs to the optimizer; read it (for example to
     * save float32 weights at the end of a mixed-precision run), do not modify or close it.
     *
     * @param parameterId the parameter's id ({@code Parameter.getId()})
     * @param device the device of the parameter's copy
     * @return the master, or empty if none is held (a float32 parameter, or a float16 one not yet
     *     updated nor converted by {@link MixedPrecision#toFloat16})
     */
    public Optional<NDArray> getMasterWeight(String parameterId, Device device) {
        return Optional.ofNullable(masters.get(masterKey(parameterId, device)));
    }

    /**
     * Sets the float32 master of a parameter on one device, replacing (and closing) any master it
     * had; the optimizer owns {@code master} from then on.
     */
    void seedMaster(String parameterId, Device device, NDArray master) {
        NDArray previous = masters.put(masterKey(parameterId, device), master);
        if (previous != null && previous != master) {
            previous.close();
        }
    }

    /** Returns the key of a parameter's master weight on a device. */
    static String masterKey(String parameterId, Device device) {
        return parameterId + '@' + device;
    }

    /** Returns the float32 master weights by {@link #masterKey}, live and unmodifiable. */
    Map<String, NDArray> masterWeights() {
        return Collections.unmodifiableMap(masters);
    }

    /**
     * Replaces the master weights by those given, keyed by {@link #masterKey}; of the masters held
     * for other keys, keeps those for which {@code keep} is true and closes the rest.
     */
    void replaceMasterWeights(Map<String, NDArray> restored, BiPredicate<String, NDArray> keep) {
        masters.entrySet()
                .removeIf(
                        e -> {
                            boolean kept =
                                    !restored.containsKey(e.getKey())
                                            && keep.test(e.getKey(), e.getValue());
                            if (!kept) {
                                e.getValue().close();
                            }
                            return !kept;
                        });
        masters.putAll(restored);
    }

    /**
     * Gives every parameter updated in this step the same step {@code t}, whatever the order in
     * which DJL updates them (see {@link DjlOptimizerState#advanceStep}); without it, a parameter
     * unfrozen late would see a {@code t} that depends on per-process parameter ids, and a resumed
     * run could not repeat the uninterrupted one. Host-only. If DJL's fields cannot be reached
     * (another DJL version), warns once and leaves DJL's order-dependent count.
     */
    private void advanceStepCount() {
        if (stepCountPinned) {
            try {
                DjlOptimizerState.advanceStep(
                        delegate, gate.guardedIds(), gate.devicesPerParameter());
            } catch (IllegalStateException e) {
                stepCountPinned = false;
                logger.warn("{} Update counts are left to DJL.", e.getMessage());
            }
        }
    }

    private void warnUnguarded(String parameterId) {
        if (!unguardedLogged) {
            unguardedLogged = true;
            logger.warn(
                    "Parameter {} became trainable after its listener processed the step; its"
                            + " unchecked gradient was discarded and it trains from the next step.",
                    parameterId);
        }
    }

    /**
     * Makes a refusal visible even where the engine swallows exceptions thrown inside {@code
     * update} (MXNet calls it from native code): logged (the first refusal and every thousandth),
     * and raised again by the {@link ScaledLoss} at the next forward pass.
     */
    private void refuse(IllegalStateException e) {
        long count = refusals.incrementAndGet();
        if (count == 1 || count % 1000 == 0) {
            logger.error("{} ({} refused updates so far)", e.getMessage(), count);
        }
        if (scaler instanceof TrackedScale tracked) {
            tracked.raiseWiringError(e.getMessage());
        }
    }

    private void updateThroughMaster(String parameterId, NDArray weight, NDArray grad) {
        String key = masterKey(parameterId, weight.getDevice());
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
