package io.gradguard.spi;

import ai.djl.ndarray.NDArray;

/**
 * The clipping coefficient of global-norm clipping, the one rule every path computes it with:
 *
 * <pre>
 * coef = clamp(maxNorm / (norm + 1e-6), max = 1)      float32, one rounding per operation
 * </pre>
 *
 * as {@code torch.nn.utils.clip_grad_norm_} computes it (Pascanu, Mikolov and Bengio, "On the
 * difficulty of training recurrent neural networks", ICML 2013). A NaN norm gives a NaN coefficient
 * that keeps the norm's NaN bits, as {@code torch.clamp} does; {@code +inf} gives 0. Nothing is
 * read back to the host.
 */
public final class ClipCoefficient {

    /** PyTorch's {@code clip_grad_norm_} guard against division by zero. */
    public static final float EPS = 1e-6f;

    private ClipCoefficient() {}

    /**
     * Returns the coefficient for each norm, attached to {@code norm}'s manager.
     *
     * @param norm a float32 array of norms (0-d or 1-D)
     * @param maxNorm a 0-d float32 array on {@code norm}'s device holding the bound
     * @return the coefficient(s), the shape of {@code norm}
     */
    public static NDArray of(NDArray norm, NDArray maxNorm) {
        NDArray denominator = norm.add(DeviceScalars.fp32(norm, EPS));
        NDArray quotient = maxNorm.div(denominator);
        // The bound is the left operand, so the quotient landed in its manager.
        quotient.attach(norm.getManager());
        // clip is torch.clamp on PyTorch and keeps a NaN's bits, where minimum would not.
        return quotient.clip(Float.NEGATIVE_INFINITY, 1f);
    }
}
