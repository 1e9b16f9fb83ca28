package io.gradguard.clip;

import ai.djl.ndarray.NDArray;
import io.gradguard.spi.ClipCoefficient;
import io.gradguard.spi.DeviceScalars;

/** The device-side arithmetic shared by norm-based strategies; nothing here reads to the host. */
final class ClipMath {

    private ClipMath() {}

    /**
     * Returns {@code min(1, maxNorm / (norm + 1e-6))} with one rounding for the division, as
     * PyTorch computes it ({@link ClipCoefficient}). The result is attached to {@code norm}'s
     * manager.
     *
     * @param norm a float32 array of norms (0-d or 1-D)
     * @param maxNorm the threshold
     * @return the coefficient(s), same shape as {@code norm}
     */
    static NDArray coefficient(NDArray norm, float maxNorm) {
        return ClipCoefficient.of(norm, DeviceScalars.fp32(norm, maxNorm));
    }

    /**
     * Returns {@code value * multiplier}, or {@code value} when the multiplier is null.
     *
     * @param value a float32 array
     * @param multiplier a 0-d float32 array or null
     * @return the product
     */
    static NDArray times(NDArray value, NDArray multiplier) {
        return multiplier == null ? value : value.mul(multiplier);
    }

    /**
     * Returns 1 where {@code coefficient < 1}, else 0, as float32.
     *
     * @param coefficient the coefficient(s)
     * @return the flag(s)
     */
    static NDArray below1(NDArray coefficient) {
        return coefficient
                .lt(DeviceScalars.fp32(coefficient, 1f))
                .toType(ai.djl.ndarray.types.DataType.FLOAT32, false);
    }
}
