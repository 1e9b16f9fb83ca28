package io.gradguard.spi;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.DataType;
import java.util.List;

/**
 * The settings of one guarded global-norm step, the common case of a guarded optimizer step: undo
 * the loss scale and look for NaN or infinity, clip by the global norm with the accumulation mean
 * folded in, and pack what the host needs into one array. {@link GradientOps#globalNormStep} runs
 * it; {@link #composeWith} is its reference meaning, in the other methods of {@link GradientOps}.
 *
 * @param invScale a 0-d float32 array holding {@code 1/S} on the gradients' device, or {@code null}
 *     when the loss is not scaled
 * @param recheck whether to check the unscaled gradients again after unscaling (needed when {@code
 *     1/S > 1}, where a finite scaled value can overflow); ignored without {@code invScale}
 * @param check whether to look for NaN or infinity when the loss is not scaled (with {@code
 *     invScale} the unscaling pass always checks)
 * @param multiplier a 0-d float32 array on the gradients' device that turns the gradients into the
 *     true gradient ({@code 1/n} after {@code n} accumulated micro-batches), or {@code null} for 1
 * @param maxNorm the largest allowed norm of the true gradient; finite and {@code > 0}
 * @param normType {@code p >= 1}, or {@link Float#POSITIVE_INFINITY}
 * @param lossFlag a 0-d float32 array, 1 where a loss of the step was NaN or infinite, or {@code
 *     null} for 0
 */
public record GlobalNormStep(
        NDArray invScale,
        boolean recheck,
        boolean check,
        NDArray multiplier,
        float maxNorm,
        float normType,
        NDArray lossFlag) {

    /** The length of the packed result: {@code [norm, coef, clipped, flag, lossFlag]}. */
    public static final int PACKED_SIZE = 5;

    /**
     * Validates the bound and the norm type.
     *
     * @param invScale the record component {@code invScale}
     * @param recheck the record component {@code recheck}
     * @param check the record component {@code check}
     * @param multiplier the record component {@code multiplier}
     * @param maxNorm the record component {@code maxNorm}
     * @param normType the record component {@code normType}
     * @param lossFlag the record component {@code lossFlag}
     * @throws IllegalArgumentException if {@code maxNorm} is not finite and positive or {@code
     *     normType} is invalid
     */
    public GlobalNormStep {
        Arguments.positiveFinite("maxNorm", maxNorm);
        NormType.check(normType);
    }

    /**
     * Returns whether the packed flag reports a check: with a loss scale, or with {@code check}.
     * Without one, the flag is 0 and a non-finite gradient shows as a non-finite norm.
     *
     * @return whether the gradients are checked
     */
    public boolean checks() {
        return invScale != null || check;
    }

    /**
     * Runs the step with the primitive methods of {@code ops}, in this order:
     *
     * <pre>
     * flag  = invScale ? ops.unscaleAndCheck(g, invScale)        (then max with
     *                    ops.nonFiniteFlag(g) when recheck)
     *       : check    ? ops.nonFiniteFlag(g) : 0
     * norm  = ops.totalNorm(g, normType) * multiplier
     * coef  = min(1, maxNorm / (norm + 1e-6))                     as ClipCoefficient
     * ops.scaleInPlace(g, coef * multiplier)
     * return [norm, coef, coef &lt; 1, flag, lossFlag]             1-D float32, length 5
     * </pre>
     *
     * A missing multiplier multiplies nothing. Nothing is read back to the host.
     *
     * @param ops the operations to compose
     * @param grads gradients on one device, changed in place; at least one
     * @return the packed 1-D float32 array, attached to the first gradient's manager
     * @throws IllegalArgumentException if {@code grads} is empty
     */
    public NDArray composeWith(GradientOps ops, List<NDArray> grads) {
        if (grads.isEmpty()) {
            throw new IllegalArgumentException("grads is empty: at least one gradient is needed");
        }
        NDArray flag = null;
        if (invScale != null) {
            flag = ops.unscaleAndCheck(grads, invScale);
            if (recheck) {
                flag = flag.maximum(ops.nonFiniteFlag(grads));
            }
        } else if (check) {
            flag = ops.nonFiniteFlag(grads);
        }
        NDArray raw = ops.totalNorm(grads, normType);
        NDArray norm = multiplier == null ? raw : raw.mul(multiplier);
        NDArray coef = ClipCoefficient.of(norm, DeviceScalars.fp32(norm, maxNorm));
        ops.scaleInPlace(grads, multiplier == null ? coef : coef.mul(multiplier));
        NDArray clipped = coef.lt(DeviceScalars.fp32(coef, 1f)).toType(DataType.FLOAT32, false);
        NDArray zero = clipped.zerosLike();
        return NDArrays.stack(
                new NDList(
                        norm,
                        coef,
                        clipped,
                        flag == null ? zero : flag.toType(DataType.FLOAT32, false),
                        lossFlag == null ? zero : lossFlag.toType(DataType.FLOAT32, false)));
    }
}
