package io.gradguard;

import io.gradguard.clip.ClipStrategy;
import io.gradguard.scale.LossScaler;
import io.gradguard.spi.GradientOps;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * Builds a {@link ClippingTrainingListener}; obtain one from {@link
 * ClippingTrainingListener#builder()}. Following DJL, {@code setX} methods are required and {@code
 * optX} ones optional; each validates its argument, and {@link #build()} checks the combination.
 */
public final class ClippingTrainingListenerBuilder {

    private ClipStrategy strategy;
    private LossScaler scaler = LossScaler.none();
    private NonFinitePolicy policy;
    private int accumulationSteps = 1;
    private ReportMode reportMode = ReportMode.EVERY_STEP;
    private Consumer<StepReport> reportConsumer;
    private final List<StepObserver> observers = new ArrayList<>();
    private int maxConsecutiveSkips = 50;
    private GradientOps ops;

    ClippingTrainingListenerBuilder() {}

    /**
     * Sets the clip strategy. Required.
     *
     * @param strategy the strategy, for example {@link ClipStrategy#globalNorm(float)}
     * @return this builder
     */
    public ClippingTrainingListenerBuilder setStrategy(ClipStrategy strategy) {
        this.strategy = Objects.requireNonNull(strategy, "strategy");
        return this;
    }

    /**
     * Sets a loss scaler for mixed precision. The trainer's loss must then be a {@link ScaledLoss}
     * of the same scaler and its optimizer a {@link GuardedOptimizer}: use {@link
     * GradGuard#trainingConfig}.
     *
     * @param scaler the scaler, for example {@link LossScaler#dynamic()}
     * @return this builder
     */
    public ClippingTrainingListenerBuilder optLossScaler(LossScaler scaler) {
        this.scaler = Objects.requireNonNull(scaler, "scaler");
        return this;
    }

    /**
     * Sets what happens on non-finite gradients. Default: {@link NonFinitePolicy#SKIP_STEP} with a
     * loss scaler, {@link NonFinitePolicy#PROPAGATE} without.
     *
     * @param policy the policy
     * @return this builder
     */
    public ClippingTrainingListenerBuilder optNonFinitePolicy(NonFinitePolicy policy) {
        this.policy = Objects.requireNonNull(policy, "policy");
        return this;
    }

    /**
     * Sets the number of micro-batches whose gradients are averaged into one optimizer step; 1 (no
     * accumulation) by default. The gradient is clipped once per window, on the mean.
     *
     * @param steps {@code >= 1}
     * @return this builder
     */
    public ClippingTrainingListenerBuilder optAccumulationSteps(int steps) {
        if (steps < 1) {
            throw new IllegalArgumentException("accumulationSteps must be >= 1, got " + steps);
        }
        this.accumulationSteps = steps;
        return this;
    }

    /**
     * Sets when reports are read from the device; {@link ReportMode#EVERY_STEP} by default.
     *
     * @param mode the mode
     * @return this builder
     */
    public ClippingTrainingListenerBuilder optReportMode(ReportMode mode) {
        this.reportMode = Objects.requireNonNull(mode, "mode");
        return this;
    }

    /**
     * Sets a consumer called with every step's report on the training thread. An exception it
     * throws is logged and never interrupts training.
     *
     * @param consumer the consumer
     * @return this builder
     */
    public ClippingTrainingListenerBuilder optReportConsumer(Consumer<StepReport> consumer) {
        this.reportConsumer = Objects.requireNonNull(consumer, "consumer");
        return this;
    }

    /**
     * Adds an observer of every step (events, alerts, forensics, report files). May be called
     * several times; observers run in the order added.
     *
     * @param observer the observer
     * @return this builder
     */
    public ClippingTrainingListenerBuilder optObserver(StepObserver observer) {
        observers.add(Objects.requireNonNull(observer, "observer"));
        return this;
    }

    /**
     * Sets how many skipped steps in a row mean that training diverged (a {@code
     * TrainingDivergedException} is thrown); 50 by default.
     *
     * @param count {@code >= 1}
     * @return this builder
     */
    public ClippingTrainingListenerBuilder optMaxConsecutiveSkips(int count) {
        if (count < 1) {
            throw new IllegalArgumentException("maxConsecutiveSkips must be >= 1, got " + count);
        }
        this.maxConsecutiveSkips = count;
        return this;
    }

    /**
     * Overrides the gradient ops (by default those registered for the trainer's engine, see {@link
     * GradientOps#forEngine}); for benchmarks and tests.
     *
     * @param gradientOps the ops
     * @return this builder
     */
    public ClippingTrainingListenerBuilder optGradientOps(GradientOps gradientOps) {
        this.ops = Objects.requireNonNull(gradientOps, "gradientOps");
        return this;
    }

    /**
     * Builds the listener.
     *
     * @return the listener
     * @throws IllegalStateException if no strategy was set, if {@link NonFinitePolicy#PROPAGATE} is
     *     combined with an enabled loss scaler, or if the strategy or the loss scaler keeps per-run
     *     state (a dynamic scaler, a history-based strategy) and already belongs to another
     *     listener, for example one built earlier by this builder
     */
    public ClippingTrainingListener build() {
        if (strategy == null) {
            throw new IllegalStateException(
                    "No clip strategy set: call setStrategy(ClipStrategy.globalNorm(1f)) or"
                            + " another ClipStrategy factory before build()");
        }
        if (policy == NonFinitePolicy.PROPAGATE && scaler.isEnabled()) {
            throw new IllegalStateException(
                    "nonFinitePolicy PROPAGATE cannot be combined with a lossScaler: an overflow"
                            + " that only the loss scale caused would be written into the weights."
                            + " Use SKIP_STEP (the default with a scaler) or ERROR.");
        }
        GuardChecks.claim(strategy, scaler);
        NonFinitePolicy effective =
                policy != null
                        ? policy
                        : scaler.isEnabled()
                                ? NonFinitePolicy.SKIP_STEP
                                : NonFinitePolicy.PROPAGATE;
        return new ClippingTrainingListener(
                new GuardSettings(
                        strategy,
                        scaler,
                        effective,
                        accumulationSteps,
                        reportMode,
                        reportConsumer,
                        List.copyOf(observers),
                        maxConsecutiveSkips,
                        ops));
    }
}
