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
     * loss wrapped in a {@link ScaledLoss} of the listener's scaler, the optimizer wrapped in a
     * {@link GuardedOptimizer}, and the listener registered first, so that it runs before any
     * listener added later. Add devices, initializers, evaluators and more listeners to the
     * returned configuration as usual.
     *
     * @param loss the true loss
     * @param optimizer the optimizer that performs real updates
     * @param listener the guard
     * @return a new configuration
     */
    public static DefaultTrainingConfig trainingConfig(
            Loss loss, Optimizer optimizer, ClippingTrainingListener listener) {
        Objects.requireNonNull(loss, "loss");
        Objects.requireNonNull(optimizer, "optimizer");
        Objects.requireNonNull(listener, "listener");
        Loss trainingLoss =
                listener.getLossScaler().isEnabled()
                        ? new ScaledLoss(loss, listener.getLossScaler())
                        : loss;
        return new DefaultTrainingConfig(trainingLoss)
                .optOptimizer(new GuardedOptimizer(optimizer, listener))
                .addTrainingListeners(listener);
    }

    /**
     * Returns DJL's {@code TrainingListener.Defaults.logging()} without its {@link
     * DivergenceCheckTrainingListener}, which throws on the first NaN loss: with a guard, a
     * non-finite step is skipped, and divergence is declared by the guard itself after {@code
     * optMaxConsecutiveSkips} skips in a row.
     *
     * @return the listeners
     */
    public static TrainingListener[] loggingListeners() {
        return withoutDivergenceCheck(TrainingListener.Defaults.logging());
    }

    /**
     * Returns DJL's {@code TrainingListener.Defaults.logging(outputDir)} without its divergence
     * check; see {@link #loggingListeners()}.
     *
     * @param outputDir where DJL writes its training logs
     * @return the listeners
     */
    public static TrainingListener[] loggingListeners(String outputDir) {
        return withoutDivergenceCheck(TrainingListener.Defaults.logging(outputDir));
    }

    private static TrainingListener[] withoutDivergenceCheck(TrainingListener[] listeners) {
        return Arrays.stream(listeners)
                .filter(l -> !(l instanceof DivergenceCheckTrainingListener))
                .toArray(TrainingListener[]::new);
    }
}
