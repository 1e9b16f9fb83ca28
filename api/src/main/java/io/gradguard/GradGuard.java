package io.gradguard;

import ai.djl.training.DefaultTrainingConfig;
import ai.djl.training.listener.DivergenceCheckTrainingListener;
import ai.djl.training.listener.TrainingListener;
import ai.djl.training.loss.Loss;
import ai.djl.training.optimizer.Optimizer;
import java.util.Arrays;
import java.util.Objects;

/**
 * One-call installation of GradGuard on a DJL training configuration.
 *
 * <pre>{@code
 * ClippingTrainingListener guard = ClippingTrainingListener.builder()
 *         .setStrategy(ClipStrategy.globalNorm(1f))
 *         .optLossScaler(LossScaler.dynamic())
 *         .build();
 * DefaultTrainingConfig config = GradGuard.trainingConfig(Loss.l2Loss(), Optimizer.adam().build(), guard)
 *         .addTrainingListeners(GradGuard.loggingListeners());
 * }</pre>
 */
public final class GradGuard {

    private GradGuard() {}

    /**
     * Creates a training configuration with the three cooperating parts installed in order: the
     * loss wrapped in a {@link ScaledLoss} of the listener's scaler (also without loss scaling, so
     * that a non-finite loss is recognized as a data fault), the optimizer wrapped in a {@link
     * GuardedOptimizer}, and the listener registered first, so that it runs before any listener
     * added later. Add devices, initializers, evaluators and more listeners to the returned
     * configuration as usual.
     *
     * @param loss the true loss
     * @param optimizer the optimizer that performs real updates
     * @param listener the guard
     * @return a new configuration
     * @throws IllegalArgumentException if {@code loss} is already a {@link ScaledLoss}
     */
    public static DefaultTrainingConfig trainingConfig(
            Loss loss, Optimizer optimizer, ClippingTrainingListener listener) {
        Objects.requireNonNull(loss, "loss");
        Objects.requireNonNull(optimizer, "optimizer");
        Objects.requireNonNull(listener, "listener");
        // A ScaledLoss given here is refused by ScaledLoss's constructor: never scaled twice.
        ScaledLoss trainingLoss = new ScaledLoss(loss, listener.getLossScaler());
        GuardedOptimizer guarded = new GuardedOptimizer(optimizer, listener);
        // DJL hands a trainer the loss and the optimizer of one configuration: the pair tells the
        // listener which optimizer the trainer it begins to guard updates through.
        trainingLoss.pairWith(guarded);
        return new DefaultTrainingConfig(trainingLoss)
                .optOptimizer(guarded)
                .addTrainingListeners(listener);
    }

    /**
     * Returns DJL's {@code TrainingListener.Defaults.logging()} with its {@link
     * DivergenceCheckTrainingListener} replaced by a guard-aware check. DJL's check throws on the
     * first NaN loss, even when a guard skips that step. The replacement throws a {@code
     * TrainingDivergedException} on a NaN or infinite training loss, before the step, unless a
     * {@link ClippingTrainingListener} on the trainer handles non-finite steps itself (a loss
     * scaler, {@link NonFinitePolicy#SKIP_STEP} or {@link NonFinitePolicy#ERROR}); such a guard
     * skips those steps and declares divergence after {@code optMaxConsecutiveSkips} skips in a
     * row. So non-finite training never passes silently, whatever the policy.
     *
     * @return the listeners
     */
    public static TrainingListener[] loggingListeners() {
        return withoutDivergenceCheck(TrainingListener.Defaults.logging());
    }

    /**
     * Returns DJL's {@code TrainingListener.Defaults.logging(outputDir)} with the guard-aware
     * divergence check; see {@link #loggingListeners()}.
     *
     * @param outputDir where DJL writes its training logs
     * @return the listeners
     */
    public static TrainingListener[] loggingListeners(String outputDir) {
        return withoutDivergenceCheck(TrainingListener.Defaults.logging(outputDir));
    }

    private static TrainingListener[] withoutDivergenceCheck(TrainingListener[] listeners) {
        return Arrays.stream(listeners)
                .map(
                        l ->
                                l instanceof DivergenceCheckTrainingListener
                                        ? new NonFiniteLossCheck()
                                        : l)
                .toArray(TrainingListener[]::new);
    }
}
