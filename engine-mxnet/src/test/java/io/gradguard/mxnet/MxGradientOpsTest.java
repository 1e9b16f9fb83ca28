package io.gradguard.mxnet;

import static org.testng.Assert.assertEquals;
import static org.testng.Assert.assertThrows;
import static org.testng.Assert.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.List;
import org.testng.annotations.Test;

/**
 * What {@link MxGradientOps} does beyond the {@link io.gradguard.testkit.GradientOpsContractKit}
 * that {@link MxFusedOpsContractTest} runs: 0-d, float64 and mixed-dtype gradients, overflow to
 * +inf in norms, MXNet's NaN times zero, and refusing bad input before any native call, against
 * hand-worked values on gradients {@code a = [3, 4]} and {@code b = [12]}: {@code ||a||_2 = 5},
 * {@code ||b||_2 = 12}, total {@code sqrt(9 + 16 + 144) = 13}.
 */
public class MxGradientOpsTest extends MxOpsTestBase {

    private static final float EPS = 1e-6f;

    private List<NDArray> grads() {
        return List.of(step.create(new float[] {3f, 4f}), step.create(new float[] {12f}));
    }

    private static void assertScalar(NDArray actual, float expected, float tolerance) {
        assertEquals(actual.getShape(), new Shape());
        assertEquals(actual.getDataType(), DataType.FLOAT32);
        assertEquals(actual.getFloat(), expected, tolerance);
    }

    private static void assertValues(NDArray actual, float[] expected, float tolerance) {
        assertEquals(actual.getShape(), new Shape(expected.length));
        assertEquals(actual.getDataType(), DataType.FLOAT32);
        float[] values = actual.toFloatArray();
        for (int i = 0; i < expected.length; i++) {
            assertEquals(values[i], expected[i], tolerance, "element " + i);
        }
    }

    @Test
    public void zeroDimensionalAndEmptyGradients() {
        // [3, 4], 12 (0-d) and an empty tensor: norms 5, 12, 0; total 13
        List<NDArray> grads =
                List.of(
                        step.create(new float[] {3f, 4f}),
                        step.create(12f),
                        step.create(new float[0]));
        assertValues(ops.perTensorNorms(grads, 2f), new float[] {5f, 12f, 0f}, EPS);
        assertScalar(ops.totalNorm(grads, 2f), 13f, EPS);
        assertScalar(ops.nonFiniteFlag(grads), 0f, 0f);
    }

    @Test
    public void float16And64GradientsGiveFloat32Norms() {
        // 300^2 + 4^2 = 90016 overflows float16 (max 65504); sqrt(90016) = 300.02667
        // float64 [6, 8]: 10; total sqrt(90016 + 100) = 300.19327
        NDArray half = step.create(new float[] {300f, 4f}).toType(DataType.FLOAT16, false);
        NDArray dbl = step.create(new double[] {6, 8});
        List<NDArray> grads = List.of(half, dbl);
        assertValues(ops.perTensorNorms(grads, 2f), new float[] {300.02667f, 10f}, 1e-3f);
        assertScalar(ops.totalNorm(grads, 2f), 300.19327f, 1e-3f);
    }

    @Test
    public void nonFiniteFloat16AndFloat64AreDetected() {
        NDArray half = step.create(new float[] {1f, Float.NaN}).toType(DataType.FLOAT16, false);
        assertScalar(ops.nonFiniteFlag(List.of(half)), 1f, 0f);
        NDArray inf = step.create(new double[] {1, Double.NEGATIVE_INFINITY});
        assertScalar(ops.nonFiniteFlag(List.of(step.create(new float[] {1f}), inf)), 1f, 0f);
    }

    @Test
    public void largeFiniteFloat64IsNotFlagged() {
        // 1e300 is finite in float64 although it overflows float32
        NDArray big = step.create(new double[] {1e300, -1e300});
        assertScalar(ops.nonFiniteFlag(List.of(big)), 0f, 0f);
    }

    @Test
    public void normsPropagateNonFiniteValues() {
        List<NDArray> grads =
                List.of(step.create(new float[] {3f, 4f}), step.create(new float[] {Float.NaN}));
        assertTrue(Float.isNaN(ops.totalNorm(grads, 2f).getFloat()));
        List<NDArray> inf =
                List.of(step.create(new float[] {Float.NEGATIVE_INFINITY}), step.create(1f));
        assertEquals(ops.totalNorm(inf, 2f).getFloat(), Float.POSITIVE_INFINITY);
        // finite but overflowing: (2e19)^2 = 4e38 > 3.4e38, so the norm is +inf as in PyTorch,
        // not the NaN that MXNet's compensated sum() makes of it
        List<NDArray> huge =
                List.of(step.create(new float[] {2e19f}), step.create(new float[] {1f}));
        assertEquals(ops.totalNorm(huge, 2f).getFloat(), Float.POSITIVE_INFINITY);
    }

    @Test
    public void unscaleReportsInfinityFoundBeforeScaling() {
        // a float32 inf and a float64 gradient: the flag is 1, and both are still scaled
        List<NDArray> grads =
                List.of(
                        step.create(new float[] {Float.POSITIVE_INFINITY, 8f}),
                        step.create(new double[] {4}));
        NDArray flag = ops.unscaleAndCheck(grads, step.create(0.5f));
        assertScalar(flag, 1f, 0f);
        assertEquals(grads.get(0).toFloatArray(), new float[] {Float.POSITIVE_INFINITY, 4f});
        assertEquals(grads.get(1).getDataType(), DataType.FLOAT64);
        assertEquals(grads.get(1).toDoubleArray(), new double[] {2});
    }

    @Test
    public void scaleKeepsDtypeAndSkipsEmpty() {
        NDArray dbl = step.create(new double[] {2, -4});
        NDArray scalar = step.create(3f);
        NDArray empty = step.create(new float[0]);
        ops.scaleInPlace(List.of(dbl, scalar, empty), step.create(0.25f));
        assertEquals(dbl.getDataType(), DataType.FLOAT64);
        assertEquals(dbl.toDoubleArray(), new double[] {0.5, -1});
        assertEquals(scalar.getFloat(), 0.75f);
        ops.scaleInPlace(List.of(), step.create(0.25f));
    }

    @Test
    public void float64IsScaledByTheExactValueOfTheFactor() {
        // the float32 factor 0.1f is 0.100000001490116...; a float64 gradient is multiplied by
        // that value exactly, not by a float32 product
        NDArray dbl = step.create(new double[] {1.0 / 3, 3});
        ops.scaleInPlace(List.of(dbl), step.create(0.1f));
        assertEquals(dbl.getDataType(), DataType.FLOAT64);
        assertEquals(
                dbl.toDoubleArray(), new double[] {(1.0 / 3) * (double) 0.1f, 3 * (double) 0.1f});
    }

    @Test
    public void zeroingANanGradientLeavesZero() {
        NDArray grad = step.create(new float[] {Float.NaN, Float.POSITIVE_INFINITY, 5f});
        NDArray scalar = step.create(Float.NaN);
        NDArray dbl = step.create(new double[] {Double.NaN, 1});
        NDArray empty = step.create(new float[0]);
        ops.zeroInPlace(List.of(grad, scalar, dbl, empty));
        assertEquals(grad.toFloatArray(), new float[] {0f, 0f, 0f});
        assertEquals(scalar.getFloat(), 0f);
        assertEquals(dbl.toDoubleArray(), new double[] {0, 0});
        ops.zeroInPlace(List.of());
    }

    @Test
    public void multiplyingByZeroKeepsNanOnMxnet() {
        // why zeroInPlace exists: MXNet's muli(0) leaves NaN in place
        NDArray grad = step.create(new float[] {Float.NaN, 2f});
        grad.muli(0);
        assertTrue(Float.isNaN(grad.toFloatArray()[0]));
    }

    /**
     * Bad arguments are refused before anything reaches MXNet: no array is created and the
     * gradients keep their values (a clamp to 0 that ran would have zeroed them).
     */
    @Test
    public void badInputIsRejectedBeforeAnyNativeCall() {
        List<NDArray> grads = grads();
        int arrays = base.getManagedArrays().size();
        assertThrows(IllegalArgumentException.class, () -> ops.totalNorm(grads, 0.5f));
        assertThrows(IllegalArgumentException.class, () -> ops.perTensorNorms(grads, Float.NaN));
        assertThrows(IllegalArgumentException.class, () -> ops.totalNorm(List.of(), 2f));
        assertThrows(IllegalArgumentException.class, () -> ops.perTensorNorms(List.of(), 2f));
        assertThrows(IllegalArgumentException.class, () -> ops.nonFiniteFlag(List.of()));
        assertThrows(IllegalArgumentException.class, () -> ops.clampInPlace(grads, 0f));
        assertThrows(IllegalArgumentException.class, () -> ops.clampInPlace(grads, Float.NaN));
        assertThrows(IllegalArgumentException.class, () -> ops.scaleInPlace(grads, null));
        assertEquals(base.getManagedArrays().size(), arrays, "no array was created");
        assertEquals(grads.get(0).toFloatArray(), new float[] {3f, 4f});
        assertEquals(grads.get(1).toFloatArray(), new float[] {12f});
    }

    @Test
    public void nameIsMxnetFused() {
        assertEquals(ops.name(), "mxnet-fused");
    }
}
