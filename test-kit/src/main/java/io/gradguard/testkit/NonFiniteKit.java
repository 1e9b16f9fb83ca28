package io.gradguard.testkit;

import static org.testng.Assert.assertEquals;
import static org.testng.Assert.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.gradguard.spi.GradientOps;
import java.util.ArrayList;
import java.util.List;
import org.testng.annotations.DataProvider;
import org.testng.annotations.Test;

/**
 * The non-finite rules of the {@link GradientOpsContractKit}: flags, unscaling, zeroing and
 * clamping around NaN and infinities, in float32 and float16. Extend {@link
 * GradientOpsContractKit}, not this class.
 */
public abstract class NonFiniteKit extends ReferenceNumbersKit {

    // ---- non-finite values -------------------------------------------------------------------

    /** The flag is a 0-d float32 0 when every value is finite. */
    @Test
    public void nonFiniteFlagIsZeroForFiniteGradients() {
        List<NDArray> grads = create(RandomGradients.draw(7), DataType.FLOAT32);
        NDArray flag = ops().nonFiniteFlag(grads);
        assertEquals(flag.getDataType(), DataType.FLOAT32);
        assertEquals(flag.getShape(), new Shape());
        assertEquals(flag.getFloat(), 0f);
    }

    /**
     * Supplies test parameters.
     *
     * @return NaN, +inf and -inf, each in the first, middle and last tensor
     */
    @DataProvider
    public Object[][] badValuesAndPositions() {
        List<Object[]> rows = new ArrayList<>();
        for (float bad :
                new float[] {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY}) {
            for (int position = 0; position < 3; position++) {
                rows.add(new Object[] {bad, position});
            }
        }
        return rows.toArray(Object[][]::new);
    }

    /**
     * One non-finite value in any tensor raises both {@link GradientOps#nonFiniteFlag} and {@link
     * GradientOps#unscaleAndCheck}.
     *
     * @param bad the non-finite value
     * @param position the index of the tensor that holds it
     */
    @Test(dataProvider = "badValuesAndPositions")
    public void nonFiniteFlagSeesEveryTensor(float bad, int position) {
        List<HostTensor> host = threeTensors();
        host.get(position).values()[position + 1] = bad;
        List<NDArray> grads = create(host, DataType.FLOAT32);
        assertEquals(ops().nonFiniteFlag(grads).getFloat(), 1f);
        assertEquals(ops().unscaleAndCheck(grads, manager().create(0.25f)).getFloat(), 1f);
    }

    /**
     * The same for float16 gradients.
     *
     * @param bad the non-finite value
     * @param position the index of the tensor that holds it
     */
    @Test(dataProvider = "badValuesAndPositions")
    public void nonFiniteFlagSeesEveryFloat16Tensor(float bad, int position) {
        requireFloat16();
        List<HostTensor> host = threeTensors();
        host.get(position).values()[0] = bad;
        assertEquals(ops().nonFiniteFlag(create(host, DataType.FLOAT16)).getFloat(), 1f);
    }

    /** Unscaling multiplies by {@code invScale} with one float32 rounding, and the flag stays 0. */
    @Test
    public void unscaleAndCheckMultipliesByInvScale() {
        for (float invScale : new float[] {1f / 1024, 0.1f, 3f}) {
            List<HostTensor> host = RandomGradients.draw(11);
            List<NDArray> grads = create(host, DataType.FLOAT32);
            NDArray flag = ops().unscaleAndCheck(grads, manager().create(invScale));
            assertEquals(flag.getShape(), new Shape());
            assertEquals(flag.getFloat(), 0f);
            List<HostTensor> after = HostTensor.of(grads);
            for (int t = 0; t < host.size(); t++) {
                float[] before = host.get(t).values();
                float[] expected = new float[before.length];
                for (int i = 0; i < before.length; i++) {
                    expected[i] = before[i] * invScale; // one float32 rounding, as the device
                }
                Tolerance.EXACT.assertClose(after.get(t).values(), expected, "x" + invScale);
            }
        }
    }

    /** Unscaling float16 gradients keeps their dtype and multiplies exactly by a power of two. */
    @Test
    public void unscaleAndCheckKeepsFloat16() {
        requireFloat16();
        List<HostTensor> host = threeTensors();
        List<NDArray> grads = create(host, DataType.FLOAT16);
        // 1/8 is a power of two: the float16 product is exact for these normal values.
        assertEquals(ops().unscaleAndCheck(grads, manager().create(0.125f)).getFloat(), 0f);
        for (int t = 0; t < host.size(); t++) {
            assertEquals(grads.get(t).getDataType(), DataType.FLOAT16);
            float[] expected = host.get(t).values().clone(); // float16 values, see threeTensors
            for (int i = 0; i < expected.length; i++) {
                expected[i] *= 0.125f;
            }
            Tolerance.EXACT.assertClose(grads.get(t).toFloatArray(), expected, "tensor " + t);
        }
    }

    /**
     * A factor below float16's range still scales float16 gradients: the product is rounded once,
     * not the factor.
     */
    @Test
    public void scaleInPlaceKeepsTinyFactorsForFloat16() {
        requireFloat16();
        List<NDArray> grads =
                create(
                        List.of(new HostTensor(new long[] {3}, new float[] {1024f, -2048f, 3f})),
                        DataType.FLOAT16);
        // 2^-27 is 0 in float16, but the products 2^-17, -2^-16 and 3 * 2^-27 (rounded to the
        // float16 subnormal step 2^-24: 0) are what a float32 multiply rounded once gives.
        ops().scaleInPlace(grads, manager().create(0x1p-27f));
        assertEquals(grads.get(0).getDataType(), DataType.FLOAT16);
        Tolerance.EXACT.assertClose(
                grads.get(0).toFloatArray(), new float[] {0x1p-17f, -0x1p-16f, 0f}, "products");
    }

    /** Zeroing turns NaN and infinities into exact zeros and keeps the dtype. */
    @Test
    public void zeroInPlaceClearsNaNAndInfinities() {
        List<DataType> types =
                supportsFloat16()
                        ? List.of(DataType.FLOAT32, DataType.FLOAT16)
                        : List.of(DataType.FLOAT32);
        for (DataType type : types) {
            float[] poison = {
                Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, -0f, 5f, Float.NaN
            };
            List<NDArray> grads =
                    create(
                            List.of(
                                    new HostTensor(new long[] {2, 3}, poison),
                                    new HostTensor(new long[] {1}, new float[] {Float.NaN})),
                            type);
            ops().zeroInPlace(grads);
            for (NDArray g : grads) {
                assertEquals(g.getDataType(), type);
                for (float v : g.toFloatArray()) {
                    assertEquals(v, 0f, type + ": " + v);
                }
            }
        }
    }

    /** Clamping bounds finite values and leaves NaN as NaN. */
    @Test
    public void clampKeepsNaN() {
        List<NDArray> grads =
                create(
                        List.of(
                                new HostTensor(
                                        new long[] {4}, new float[] {Float.NaN, 3f, -3f, 0.5f})),
                        DataType.FLOAT32);
        ops().clampInPlace(grads, 1f);
        float[] v = grads.get(0).toFloatArray();
        assertTrue(Float.isNaN(v[0]), "NaN stays NaN, got " + v[0]);
        assertEquals(v[1], 1f);
        assertEquals(v[2], -1f);
        assertEquals(v[3], 0.5f);
    }
}
