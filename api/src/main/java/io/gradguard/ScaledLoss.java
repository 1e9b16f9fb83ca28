package io.gradguard;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.training.loss.Loss;
import io.gradguard.internal.TrackedScale;
import io.gradguard.scale.LossScaler;
import java.util.Objects;

/**
 * A {@link Loss} that returns {@code loss * S} for backward while every value DJL logs stays the
 * true, unscaled loss.
 *
 * <p>{@link #evaluate} (what {@code EasyTrain} differentiates) returns the wrapped loss multiplied
 * by the {@link LossScaler}'s current scale, held as a float32 device constant. The accumulator
 * methods (what {@code EvaluatorTrainingListener}, the progress bar and {@code TrainingResult}
 * read) delegate to the wrapped loss, so they see unscaled values. The name is the wrapped loss's
 * name.
 *
 * <p>While a {@link ClippingTrainingListener} guards a trainer whose loss this is, every value
 * {@link #evaluate} returns is also checked, on the device, for NaN and infinity, so that the guard
 * can tell a data fault (a non-finite loss) from an overflow (a finite loss whose scaled gradients
 * overflow). Wrapping a {@code ScaledLoss} again is refused.
 *
 * <p>{@link #evaluate} is for training only: it returns the scaled loss, and a non-finite value it
 * sees marks the current step as a data fault. To compute a validation loss by hand, use {@link
 * #getUnscaledLoss()} or the accumulator methods (as DJL's {@code EvaluatorTrainingListener} does).
 */
public final class ScaledLoss extends Loss {

    private final Loss loss;
    private final LossScaler scaler;
    private volatile LossFaultRecorder faults;
    private volatile GuardedOptimizer pairedOptimizer;

    /**
     * Wraps a loss.
     *
     * @param loss the true loss
     * @param scaler the scaler whose current scale multiplies the loss for backward
     * @throws IllegalArgumentException if {@code loss} is already a {@code ScaledLoss}
     */
    public ScaledLoss(Loss loss, LossScaler scaler) {
        super(Objects.requireNonNull(loss, "loss").getName());
        if (loss instanceof ScaledLoss) {
            throw new IllegalArgumentException(
                    "loss is already a ScaledLoss; wrap the unscaled loss, or the loss would be"
                            + " scaled twice");
        }
        this.loss = loss;
        this.scaler = Objects.requireNonNull(scaler, "scaler");
    }

    /**
     * Returns the wrapped, unscaled loss.
     *
     * @return the true loss
     */
    public Loss getUnscaledLoss() {
        return loss;
    }

    /**
     * Returns the scaler.
     *
     * @return the scaler
     */
    public LossScaler getScaler() {
        return scaler;
    }

    /**
     * Returns {@code loss * S}.
     *
     * @param labels the labels
     * @param predictions the predictions
     * @return the scaled loss for backward
     * @throws IllegalStateException if a {@link GuardedOptimizer} of this scaler's listener refused
     *     an update because the listener did not process the step
     */
    @Override
    public NDArray evaluate(NDList labels, NDList predictions) {
        if (scaler instanceof TrackedScale tracked) {
            tracked.checkWiring();
        }
        NDArray value = loss.evaluate(labels, predictions);
        LossFaultRecorder recorder = faults;
        if (recorder != null) {
            recorder.record(value);
        }
        return scaler.isEnabled() ? scaler.scaleLoss(value) : value;
    }

    /** Pairs this loss with the optimizer built into the same training configuration. */
    void pairWith(GuardedOptimizer optimizer) {
        pairedOptimizer = optimizer;
    }

    /** Returns the optimizer built into the same configuration, or null if none was paired. */
    GuardedOptimizer pairedOptimizer() {
        return pairedOptimizer;
    }

    /** Starts or stops recording non-finite losses for a listener; {@code null} stops. */
    void recordFaultsInto(LossFaultRecorder recorder) {
        faults = recorder;
    }

    @Override
    public void addAccumulator(String key) {
        loss.addAccumulator(key);
    }

    @Override
    public void updateAccumulator(String key, NDList labels, NDList predictions) {
        loss.updateAccumulator(key, labels, predictions);
    }

    @Override
    public void updateAccumulators(String[] keys, NDList labels, NDList predictions) {
        loss.updateAccumulators(keys, labels, predictions);
    }

    @Override
    public void resetAccumulator(String key) {
        loss.resetAccumulator(key);
    }

    @Override
    public float getAccumulator(String key) {
        return loss.getAccumulator(key);
    }
}
