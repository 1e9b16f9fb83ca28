package io.gradguard.clip;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import io.gradguard.spi.ClipCoefficient;
import io.gradguard.spi.DeviceScalars;

/**
 * Clipping at a threshold that the host computed from the step's norm, for history-based
 * strategies. The norm is read once per step; the coefficient is computed on the host with
 * PyTorch's float32 formula and sent back as a 0-d array.
 */
final class HostClip {

    private HostClip() {}

    /**
     * Returns the total L2 norm of the true gradient ({@code gradients * multiplier}), on the
     * device.
     *
     * @param context the step
     * @return a 0-d float32 array
     */
    static NDArray trueNorm(ClipContext context) {
        NDArray raw = context.ops().totalNorm(context.gradients(), 2f);
        return ClipMath.times(raw, context.multiplier());
    }

    /**
     * Returns {@code min(1, threshold / (norm + 1e-6))} in float32, as {@code clip_grad_norm_}. A
     * NaN norm gives NaN and an infinite norm 0, as in PyTorch.
     *
     * @param norm the total norm
     * @param threshold the threshold
     * @return the coefficient
     */
    static float coefficient(float norm, float threshold) {
        float quotient = threshold / (norm + ClipCoefficient.EPS);
        return Float.isNaN(quotient) ? Float.NaN : Math.min(1f, quotient);
    }

    /**
     * Clips the true gradient to {@code threshold} with {@link #coefficient}, leaving {@code
     * gradients * coefficient * multiplier} in place. Nothing is multiplied when the factor is
     * exactly 1.
     *
     * @param context the step
     * @param total the true norm, from {@link #trueNorm}
     * @param norm {@code total} read on the host
     * @param threshold the threshold; {@code +inf} never clips
     * @return the outcome
     */
    static ClipOutcome clipAt(ClipContext context, NDArray total, float norm, float threshold) {
        float coef = coefficient(norm, threshold);
        NDArray coefficient = scalar(total, coef);
        if (coef != 1f || context.multiplier() != null) {
            context.ops()
                    .scaleInPlace(
                            context.gradients(), ClipMath.times(coefficient, context.multiplier()));
        }
        return new ClipOutcome(total, coefficient, scalar(total, coef < 1f ? 1f : 0f));
    }

    /**
     * Leaves the true gradient unchanged (applies only the multiplier) and reports coefficient 1.
     *
     * @param context the step
     * @param total the true norm
     * @return the outcome
     */
    static ClipOutcome observe(ClipContext context, NDArray total) {
        if (context.multiplier() != null) {
            context.ops().scaleInPlace(context.gradients(), context.multiplier());
        }
        return new ClipOutcome(total, scalar(total, 1f), scalar(total, 0f));
    }

    /** Returns a new 0-d float32 array on {@code like}'s device and manager. */
    static NDArray scalar(NDArray like, float value) {
        return DeviceScalars.beside(like, DataType.FLOAT32, value);
    }
}
