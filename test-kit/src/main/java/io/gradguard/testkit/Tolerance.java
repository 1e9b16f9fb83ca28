package io.gradguard.testkit;

import ai.djl.ndarray.types.DataType;
import java.util.List;
import org.testng.Assert;

/**
 * An element-wise closeness test, {@code |actual - expected| <= atol + rtol * |expected|}, as
 * {@code numpy.allclose}. Infinities and NaN must match exactly.
 *
 * @param rtol the relative tolerance
 * @param atol the absolute tolerance, for values at or near zero
 */
public record Tolerance(double rtol, double atol) {

    /** Bit-for-bit equality (but {@code -0 == 0}): for operations that round nothing. */
    public static final Tolerance EXACT = new Tolerance(0, 0);

    /**
     * Float32 norms and clipped float32 gradients: the reference and the implementation both round
     * to float32 after every operation but sum in different orders, which costs a few ulps (one
     * float32 ulp is 2^-23 = 1.2e-7 relative). The absolute part only forgives exact zeros.
     */
    public static final Tolerance FP32 = new Tolerance(1e-6, 1e-30);

    /**
     * Norms of float16 gradients, compared with PyTorch's norm of their float32 casts: the contract
     * accumulates in float32, and 1e-3 still lets an implementation round the per-tensor result to
     * float16 (2^-11 = 4.9e-4 relative) while catching float16 overflow (inf) and float16 sums.
     */
    public static final Tolerance FP16_NORM = new Tolerance(1e-3, 1e-6);

    /**
     * Clipped float16 gradients: the reference and the contract ({@code GradientOps.scaleInPlace})
     * both multiply in float32 and round {@code g * coef} once to float16. They differ only through
     * the coefficient, which comes from norms summed in another order (a few float32 ulps); that
     * can move a product across a float16 rounding boundary, one float16 step away: at most 2^-10 =
     * 9.8e-4 relative for normal values. rtol 2e-3 (four float16 half-ulps, 4 * 2^-11) allows twice
     * that; the absolute part covers two float16 subnormal steps (2 * 2^-24 = 1.2e-7).
     */
    public static final Tolerance FP16_CLIPPED = new Tolerance(2e-3, 1.2e-7);

    /**
     * Returns the tolerance for norms of gradients of a dtype.
     *
     * @param gradType the dtype of the gradients
     * @return the tolerance
     */
    public static Tolerance forNorms(DataType gradType) {
        return gradType == DataType.FLOAT16 ? FP16_NORM : FP32;
    }

    /**
     * Returns the tolerance for clipped gradients of a dtype.
     *
     * @param gradType the dtype of the gradients
     * @return the tolerance
     */
    public static Tolerance forClipped(DataType gradType) {
        return gradType == DataType.FLOAT16 ? FP16_CLIPPED : FP32;
    }

    /**
     * Asserts that one value is close to the expected one.
     *
     * @param actual the computed value
     * @param expected the reference value
     * @param what names the value in the failure message
     */
    public void assertClose(float actual, float expected, String what) {
        if (!isClose(actual, expected)) {
            Assert.fail(
                    String.format(
                            "%s: got %s, expected %s (rtol %s, atol %s)",
                            what, actual, expected, rtol, atol));
        }
    }

    /**
     * Asserts that two arrays have the same length and close elements.
     *
     * @param actual the computed values
     * @param expected the reference values
     * @param what names the values in the failure message
     */
    public void assertClose(float[] actual, float[] expected, String what) {
        Assert.assertEquals(actual.length, expected.length, what + ": length");
        for (int i = 0; i < actual.length; i++) {
            assertClose(actual[i], expected[i], what + "[" + i + "]");
        }
    }

    /**
     * Asserts that two lists of tensors have equal shapes and close elements.
     *
     * @param actual the computed tensors
     * @param expected the reference tensors
     * @param what names the tensors in the failure message
     */
    public void assertClose(List<HostTensor> actual, List<HostTensor> expected, String what) {
        Assert.assertEquals(actual.size(), expected.size(), what + ": tensor count");
        for (int t = 0; t < actual.size(); t++) {
            Assert.assertEquals(
                    actual.get(t).shape(), expected.get(t).shape(), what + " #" + t + ": shape");
            assertClose(actual.get(t).values(), expected.get(t).values(), what + " #" + t);
        }
    }

    private boolean isClose(float actual, float expected) {
        if (Float.isNaN(expected) || Float.isInfinite(expected)) {
            return Float.compare(actual, expected) == 0;
        }
        return Math.abs((double) actual - expected) <= atol + rtol * Math.abs((double) expected);
    }
}
