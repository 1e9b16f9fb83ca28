package io.gradguard;

import io.gradguard.clip.ClipStrategy;
import io.gradguard.scale.LossScaler;
import io.gradguard.spi.GradientOps;
import java.util.List;
import java.util.function.Consumer;

/**
 * The immutable configuration of a {@link ClippingTrainingListener}, as validated by its builder.
 *
 * @param strategy the clip strategy
 * @param scaler the loss scaler ({@link LossScaler#none()} when off)
 * @param policy what to do with non-finite gradients
 * @param accumulationSteps micro-batches per optimizer step
 * @param reportMode when reports are read back
 * @param reportConsumer the report consumer, or null
 * @param observers the step observers
 * @param maxConsecutiveSkips skipped steps in a row that count as divergence
 * @param ops the gradient ops to use, or null for the engine's own
 */
record GuardSettings(
        ClipStrategy strategy,
        LossScaler scaler,
        NonFinitePolicy policy,
        int accumulationSteps,
        ReportMode reportMode,
        Consumer<StepReport> reportConsumer,
        List<StepObserver> observers,
        int maxConsecutiveSkips,
        GradientOps ops) {

    /** Returns whether the configuration needs a {@link GuardedOptimizer} to take effect. */
    boolean needsGate() {
        return scaler.isEnabled() || policy != NonFinitePolicy.PROPAGATE || accumulationSteps > 1;
    }
}
