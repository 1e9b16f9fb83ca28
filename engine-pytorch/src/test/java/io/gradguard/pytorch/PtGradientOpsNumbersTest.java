package io.gradguard.pytorch;

import static org.testng.Assert.assertEquals;
import static org.testng.Assert.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.List;
import org.testng.annotations.AfterClass;
import org.testng.annotations.AfterMethod;
import org.testng.annotations.BeforeClass;
import org.testng.annotations.BeforeMethod;
import org.testng.annotations.Test;

/**
 * What {@link PtGradientOps} does beyond the {@link io.gradguard.testkit.GradientOpsContractKit}
 * that {@link PtFusedOpsContractTest} runs: mixed dtypes in one call, float16 norms and flags past
 * float16's range, rounding of float16 products, the AMP kernel's flag, and the loss-scale update,
 * against numbers worked by hand. The usual gradients are {@code a = [3, 4]} and {@code b = [12]}:
 * per-tensor L2 norms 5 and 12, total sqrt(25 + 144) = 13.
 */
public class PtGradientOpsNumbersTest {

    private static final float NAN = Float.NaN;
    private static final float INF = Float.POSITIVE_INFINITY;

    private PtGradientOps ops;
    private NDManager root;
    private NDManager manager;

    @BeforeClass
    public void loadOps() {
        ops = PtGradientOps.load();
        root = NDManager.newBaseManager(Device.cpu(), "PyTorch");
    }

    @AfterClass
    public void closeRoot() {
        root.close();
    }

    @BeforeMethod
    public void openManager() {
        manager = root.newSubManager();
    }

    @AfterMethod
    public void closeManager() {
        manager.close();
    }

    @Test
    public void float16NormAboveTheFloat16RangeStaysFinite() {
        // 60000 is exact in float16; ||[60000] x 4||_2 = sqrt(4 * 3.6e9) = 120000 > 65504
        NDArray g =
                manager.full(new Shape(4), 60000f, DataType.FLOAT32)
                        .toType(DataType.FLOAT16, false);
        assertValues(ops.totalNorm(List.of(g), 2f), 120000f);
        assertValues(ops.totalNorm(List.of(g), 1f), 240000f);
    }

    @Test
    public void mixedDtypesAndZeroSizeTensors() {
        // a in float16, an empty float32 tensor (norm 0), b in float32
        NDArray a = fp(DataType.FLOAT16, 3f, 4f);
        NDArray empty = manager.create(new Shape(0), DataType.FLOAT32);
        NDArray b = fp(DataType.FLOAT32, 12f);
        List<NDArray> grads = List.of(a, empty, b);
        assertValues(ops.perTensorNorms(grads, 2f), 5f, 0f, 12f);
        assertValues(ops.perTensorNorms(grads, INF), 4f, 0f, 12f);
        assertValues(ops.totalNorm(grads, INF), 12f);
    }

    @Test
    public void normOfANonFiniteGradientIsNonFinite() {
        List<NDArray> grads = List.of(fp(DataType.FLOAT32, 3f, NAN), fp(DataType.FLOAT32, 12f));
        assertTrue(Float.isNaN(ops.totalNorm(grads, 2f).getFloat()));
        List<NDArray> withInf = List.of(fp(DataType.FLOAT32, 3f, INF));
        assertEquals(ops.totalNorm(withInf, 2f).getFloat(), INF);
    }

    @Test
    public void scaleInPlaceMultipliesEveryDtype() {
        // [3, 4] * 0.25 = [0.75, 1], [12] * 0.25 = [3]: exact in float16 and float32
        NDArray a = fp(DataType.FLOAT16, 3f, 4f);
        NDArray b = fp(DataType.FLOAT32, 12f);
        ops.scaleInPlace(List.of(a, b), manager.create(0.25f));
        assertEquals(a.getDataType(), DataType.FLOAT16);
        assertValues(a, 0.75f, 1f);
        assertValues(b, 3f);
    }

    @Test
    public void scaleInPlaceRoundsOnceFromFloat32() {
        // 3 * 0.1f = 0.30000001 in float32; float16 steps by 2^-12 there, so one rounding gives
        // 1229 * 2^-12 = 0.300048828125. Casting 0.1 to float16 first (0.0999755859375) would
        // give 0.2999267578125, a tie rounded to even: 1228 * 2^-12 = 0.2998046875.
        NDArray a = fp(DataType.FLOAT16, 3f);
        ops.scaleInPlace(List.of(a), manager.create(0.1f));
        assertValues(a, 1229f / 4096f);
    }

    @Test
    public void unscaleFlagsInfinityAndNaN() {
        NDArray withInf = fp(DataType.FLOAT32, 2f, INF);
        assertValues(ops.unscaleAndCheck(List.of(withInf), manager.create(0.5f)), 1f);
        NDArray withNan = fp(DataType.FLOAT16, NAN, 4f);
        NDArray clean = fp(DataType.FLOAT32, 8f);
        assertValues(ops.unscaleAndCheck(List.of(clean, withNan), manager.create(0.5f)), 1f);
        // every element is still multiplied, as the AMP kernel does
        assertValues(clean, 4f);
    }

    @Test
    public void nonFiniteFlagDoesNotOverflowOnLargeFiniteFloat16() {
        // 65504 is the largest float16: its square overflows, max |g| does not
        NDArray g = fp(DataType.FLOAT16, 65504f, -65504f, 65504f);
        assertValues(ops.nonFiniteFlag(List.of(g)), 0f);
        assertValues(g, 65504f, -65504f, 65504f);
    }

    @Test
    public void nonFiniteFlagOfZeroSizeTensorsIsZero() {
        NDArray empty = manager.create(new Shape(0), DataType.FLOAT32);
        assertValues(ops.nonFiniteFlag(List.of(empty)), 0f);
        assertValues(ops.nonFiniteFlag(List.of(empty, fp(DataType.FLOAT32, NAN))), 1f);
    }

    @Test
    public void resultsAreOrdinaryArraysThatAcceptInPlaceUpdates() {
        // Arrays created inside DJL's module call would be inference tensors, read-only outside.
        List<NDArray> grads = usual(DataType.FLOAT32);
        NDArray total = ops.totalNorm(grads, 2f);
        total.addi(manager.create(1f));
        assertValues(total, 14f);
        NDArray perTensor = ops.perTensorNorms(grads, 2f);
        perTensor.muli(manager.create(2f));
        assertValues(perTensor, 10f, 24f);
        NDArray flag = ops.unscaleAndCheck(grads, manager.create(1f));
        flag.addi(manager.create(1f));
        assertValues(flag, 1f);
        NDArray nonFinite = ops.nonFiniteFlag(grads);
        nonFinite.addi(manager.create(2f));
        assertValues(nonFinite, 2f);
        NDArray clipped = ops.clipByGlobalNorm(grads, 100f, 2f);
        clipped.subi(manager.create(3f));
        assertValues(clipped, 10f);
    }

    private List<NDArray> usual(DataType dataType) {
        return List.of(fp(dataType, 3f, 4f), fp(dataType, 12f));
    }

    private NDArray fp(DataType dataType, float... values) {
        NDArray array = manager.create(values);
        return dataType == DataType.FLOAT32 ? array : array.toType(dataType, false);
    }

    private static void assertScale(NDArray scale, NDArray tracker, float expected, int count) {
        assertEquals(scale.getFloat(), expected, "scale");
        assertEquals(tracker.getInt(), count, "growth tracker");
    }

    private static float[] floats(NDArray array) {
        return array.toType(DataType.FLOAT32, false).toFloatArray();
    }

    /** Exact comparison, NaN equal to NaN. */
    private static void assertValues(NDArray array, float... expected) {
        float[] actual = floats(array);
        assertEquals(actual.length, expected.length, "length");
        for (int i = 0; i < expected.length; i++) {
            assertEquals(
                    Float.floatToIntBits(actual[i]),
                    Float.floatToIntBits(expected[i]),
                    "element " + i + ": " + actual[i] + " != " + expected[i]);
        }
    }

    /** Comparison to a relative 1e-6 (float32) or 1e-3 (float16). */
    private static void assertClose(NDArray array, float... expected) {
        float[] actual = floats(array);
        float tolerance = array.getDataType() == DataType.FLOAT16 ? 1e-3f : 1e-6f;
        assertEquals(actual.length, expected.length, "length");
        for (int i = 0; i < expected.length; i++) {
            assertEquals(actual[i], expected[i], tolerance * Math.abs(expected[i]), "element " + i);
        }
    }
}
