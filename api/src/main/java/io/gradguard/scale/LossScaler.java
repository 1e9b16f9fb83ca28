package io.gradguard.scale;

import ai.djl.ndarray.NDArray;
import io.gradguard.clip.GradientClipping;
import io.gradguard.spi.DeviceScalars;
import java.util.List;

/**
 * Multiplies the loss before backward so that small float16 gradients do not flush to zero, and
 * decides how the scale evolves; the counterpart of PyTorch's {@code torch.amp.GradScaler}.
 *
 * <p>The guarded step is: {@code backward(loss * S)}, then the gradients are multiplied by {@code
 * 1/S} and checked for NaN/inf in one pass ({@link #inverseScale()} is {@code fp32(1 / fp64(S))}),
 * then clipped, then the optimizer steps or, if a non-finite value was found, skips; finally {@link
 * #update(boolean)} adjusts {@code S}. A {@link io.gradguard.ClippingTrainingListener} built with
 * {@code optLossScaler} performs all of this; {@link io.gradguard.ScaledLoss} applies the scale to
 * the loss.
 *
 * <pre>{@code
 * LossScaler.dynamic();           // GradScaler defaults: 2^16, x2 every 2000 clean steps, x0.5 on overflow
 * LossScaler.dynamicBuilder().optInitialScale(1024f).optHysteresis(2).build();
 * LossScaler.fixed(128f);         // constant scale, non-finite steps still skipped
 * LossScaler.none();              // scale 1, nothing to unscale
 * }</pre>
 *
 * <p>A scaler is stateful and belongs to one training run. Its state can be saved and restored with
 * a checkpoint through {@link #state()} and {@link #restore(LossScalerState)}.
 */
public interface LossScaler {

    /**
     * Returns the current scale {@code S}.
     *
     * @return the scale, with a finite normal inverse
     */
    float scale();

    /**
     * Returns the multiplier that undoes the scale, computed in double and rounded once: {@code
     * (float) (1.0 / S)}.
     *
     * @return {@code fp32(1 / fp64(S))}
     */
    default float inverseScale() {
        return (float) (1.0 / scale());
    }

    /**
     * Returns whether this scaler multiplies the loss at all ({@code false} only for {@link
     * #none()}).
     *
     * @return whether scaling is on
     */
    boolean isEnabled();

    /**
     * Records the outcome of an optimizer step and adjusts the scale. Call once per optimizer step
     * (once per accumulation window), after the step.
     *
     * @param foundNonFinite whether the step's unscaled gradients held NaN or infinity
     */
    void update(boolean foundNonFinite);

    /**
     * Records an optimizer step that was skipped because its loss itself was non-finite: a data
     * fault, not an overflow. Backing off would not help such a step, so the scale, the growth
     * tracker and the hysteresis counter stay as they are; only the next step begins. Call it
     * instead of {@link #update(boolean)} for that step.
     *
     * <p>PyTorch's GradScaler cannot tell the two apart: with a non-finite loss on every other
     * batch it halves the scale each time until the good batches' gradients underflow. The default
     * does nothing, which is right for a scaler whose state only {@link #update} changes.
     */
    default void recordDataFault() {}

    /**
     * Returns a snapshot of the state to save with a checkpoint.
     *
     * @return the state
     */
    LossScalerState state();

    /**
     * Restores a state saved by {@link #state()}.
     *
     * @param state the state
     * @throws IllegalArgumentException if the state is invalid for this scaler
     */
    void restore(LossScalerState state);

    /**
     * Multiplies a loss by the current scale, in float32, for backward in a custom loop. The result
     * is attached to the loss's manager. The scale is a float32 device scalar and the loss is not
     * cast: DJL's PyTorch {@code toType} runs without autograd and would cut the loss from the
     * graph, while a 0-d float16 loss times the 0-d float32 scale is promoted to float32.
     *
     * @param loss the loss
     * @return {@code loss * S} as float32
     */
    default NDArray scaleLoss(NDArray loss) {
        return loss.mul(DeviceScalars.fp32(loss, scale()));
    }

    /**
     * Returns {@code 1/S} as a float32 scalar on the device of {@code like}, for unscaling
     * gradients there. The array belongs to a bounded cache: do not close it.
     *
     * @param like an array on the target device
     * @return {@code 1/S} as a float32 device scalar
     */
    default NDArray inverseScaleOn(NDArray like) {
        return DeviceScalars.fp32(like, inverseScale());
    }

    /**
     * Unscales gradients in place for a custom loop, {@code g <- g * (1/S)}, and returns a 0-d
     * float32 flag that is 1 if any value was NaN or infinite (no host sync). At most once per
     * optimizer step; {@link #update(boolean)} starts the next step.
     *
     * <pre>{@code
     * collector.backward(scaler.scaleLoss(loss));
     * NDArray found = scaler.unscale(grads);
     * scaler.clipGradNorm(grads, 1f, 2f);          // threshold in true-gradient units
     * boolean overflow = found.getFloat() > 0;      // the one read per step
     * if (!overflow) { trainer.step(); }            // else zero the gradients
     * scaler.update(overflow);
     * }</pre>
     *
     * @param grads the gradients, on one device
     * @return the non-finite flag
     * @throws IllegalStateException if the gradients were already unscaled in this step
     */
    NDArray unscale(List<NDArray> grads);

    /**
     * Clips unscaled gradients by their total norm, as {@link GradientClipping#clipGradNorm(List,
     * float, float)}, refusing gradients that still carry the loss scale.
     *
     * @param grads the gradients, on one device
     * @param maxNorm the largest allowed total norm, in true-gradient units
     * @param normType {@code p >= 1}, or {@link Float#POSITIVE_INFINITY}
     * @return the total norm before clipping, a 0-d float32 array
     * @throws IllegalStateException if this scaler is enabled and {@link #unscale} was not called
     *     in this step
     */
    NDArray clipGradNorm(List<NDArray> grads, float maxNorm, float normType);

    /**
     * Returns a dynamic scaler with PyTorch GradScaler's defaults: initial scale 2^16, growth
     * factor 2, backoff factor 0.5, growth interval 2000, no hysteresis, no bounds.
     *
     * @return a new dynamic scaler
     */
    static LossScaler dynamic() {
        return dynamicBuilder().build();
    }

    /**
     * Returns a builder for a dynamic scaler with non-default settings.
     *
     * @return a new builder
     */
    static DynamicLossScalerBuilder dynamicBuilder() {
        return new DynamicLossScalerBuilder();
    }

    /**
     * Returns a scaler with a constant scale. Non-finite steps are still detected and skipped.
     *
     * @param scale the scale; its inverse must be a finite normal float (about {@code [2.94e-39,
     *     8.5e37]})
     * @return a new fixed scaler
     * @throws IllegalArgumentException if {@code 1 / scale} is not a finite normal float
     */
    static LossScaler fixed(float scale) {
        return new FixedLossScaler(LossScaleRange.checkScale("scale", scale), true);
    }

    /**
     * Returns the disabled scaler: scale 1, nothing multiplied, nothing to unscale.
     *
     * @return the disabled scaler
     */
    static LossScaler none() {
        return new FixedLossScaler(1f, false);
    }
}
