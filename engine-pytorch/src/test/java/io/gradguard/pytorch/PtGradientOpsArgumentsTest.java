package io.gradguard.pytorch;

import static org.testng.Assert.assertEquals;
import static org.testng.Assert.assertTrue;
import static org.testng.Assert.expectThrows;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.gradguard.spi.GlobalNormStep;
import java.lang.reflect.Proxy;
import java.util.Arrays;
import java.util.List;
import org.testng.annotations.AfterClass;
import org.testng.annotations.BeforeClass;
import org.testng.annotations.Test;

/** Bad arguments fail with {@link IllegalArgumentException} naming the parameter and value. */
public class PtGradientOpsArgumentsTest {

    private PtGradientOps ops;
    private NDManager manager;
    private List<NDArray> grads;

    @BeforeClass
    public void setUp() {
        ops = PtGradientOps.load();
        manager = NDManager.newBaseManager(Device.cpu(), "PyTorch");
        grads = List.of(manager.create(new float[] {3f, 4f}));
    }

    @AfterClass
    public void tearDown() {
        manager.close();
    }

    @Test
    public void methodsThatReturnAnArrayNeedAGradient() {
        assertMessage(() -> ops.totalNorm(List.of(), 2f), "grads is empty");
        assertMessage(() -> ops.perTensorNorms(List.of(), 2f), "grads is empty");
        assertMessage(() -> ops.nonFiniteFlag(List.of()), "grads is empty");
        assertMessage(() -> ops.unscaleAndCheck(List.of(), manager.create(1f)), "grads is empty");
        assertMessage(() -> ops.clipByGlobalNorm(List.of(), 1f, 2f), "grads is empty");
        assertMessage(() -> ops.zeroInPlace(null), "grads must not be null");
    }

    @Test
    public void gradientsMustBePyTorchArrays() {
        NDArray foreign =
                (NDArray)
                        Proxy.newProxyInstance(
                                NDArray.class.getClassLoader(),
                                new Class<?>[] {NDArray.class},
                                (proxy, method, args) -> {
                                    throw new AssertionError("called " + method.getName());
                                });
        List<NDArray> mixed = List.of(grads.get(0), foreign);
        assertMessage(() -> ops.totalNorm(mixed, 2f), "grads[1] must be a PyTorch engine array");
        List<NDArray> withNull = Arrays.asList(grads.get(0), null);
        assertMessage(
                () -> ops.zeroInPlace(withNull),
                "grads[1] must be a PyTorch engine array, got null");
    }

    @Test
    public void normTypeBelowOneOrNaNIsRejected() {
        assertMessage(() -> ops.totalNorm(grads, 0.5f), "normType must be >= 1");
        assertMessage(() -> ops.perTensorNorms(grads, Float.NaN), "got NaN");
        assertMessage(() -> ops.clipByGlobalNorm(grads, 1f, Float.NEGATIVE_INFINITY), "-Infinity");
    }

    @Test
    public void deviceScalarsMustBeOneElementFloat32() {
        NDArray fp16 = manager.create(0.5f).toType(DataType.FLOAT16, false);
        assertMessage(() -> ops.scaleInPlace(grads, fp16), "factor must be a one-element float32");
        NDArray vector = manager.create(new float[] {0.5f, 0.5f});
        assertMessage(() -> ops.unscaleAndCheck(grads, vector), "invScale must be a one-element");
        assertMessage(() -> ops.clipByGlobalNorm(grads, null, 2f), "maxNorm must be a PyTorch");
    }

    /**
     * A one-element scalar of shape (1) or (1, 1) acts as the 0-d scalar of the same value, in
     * every method and whatever its value: before, a (1, 1) factor of 1 passed, and one of 0.5
     * failed inside TorchScript on broadcasting, so a wrong shape surfaced only on the first step
     * that clipped.
     */
    @Test
    public void oneElementScalarsOfAnyShapeActAsZeroDimensional() {
        try (NDManager m = manager.newSubManager()) {
            for (Shape shape : new Shape[] {new Shape(1), new Shape(1, 1)}) {
                for (float value : new float[] {1f, 0.5f}) {
                    List<NDArray> shaped = List.of(m.create(new float[] {3f, 4f}));
                    List<NDArray> plain = List.of(m.create(new float[] {3f, 4f}));
                    ops.scaleInPlace(shaped, m.create(new float[] {value}, shape));
                    ops.scaleInPlace(plain, m.create(value));
                    assertEquals(shaped.get(0).toFloatArray(), plain.get(0).toFloatArray());
                }
                for (float bound : new float[] {50f, 0.5f}) {
                    List<NDArray> shaped = List.of(m.create(new float[] {3f, 4f}));
                    List<NDArray> plain = List.of(m.create(new float[] {3f, 4f}));
                    float norm =
                            ops.clipByGlobalNorm(shaped, m.create(new float[] {bound}, shape), 2f)
                                    .getFloat();
                    assertEquals(norm, 5f, shape + " bound " + bound);
                    ops.clipByGlobalNorm(plain, m.create(bound), 2f);
                    assertEquals(shaped.get(0).toFloatArray(), plain.get(0).toFloatArray());
                }
                List<NDArray> shaped = List.of(m.create(new float[] {3f, 4f}));
                List<NDArray> plain = List.of(m.create(new float[] {3f, 4f}));
                GlobalNormStep withShapes =
                        new GlobalNormStep(
                                m.create(new float[] {0.5f}, shape),
                                false,
                                true,
                                m.create(new float[] {0.25f}, shape),
                                1f,
                                2f,
                                m.create(new float[] {1f}, shape));
                GlobalNormStep zeroD =
                        new GlobalNormStep(
                                m.create(0.5f), false, true, m.create(0.25f), 1f, 2f, m.create(1f));
                // 1/S = 0.5 gives (1.5, 2), norm 2.5, times the mean 0.25: 0.625, below 1.
                float[] packed = ops.globalNormStep(shaped, withShapes).toFloatArray();
                assertEquals(packed, new float[] {0.625f, 1f, 0f, 0f, 1f}, shape.toString());
                assertEquals(packed, ops.globalNormStep(plain, zeroD).toFloatArray());
                assertEquals(shaped.get(0).toFloatArray(), plain.get(0).toFloatArray());
            }
        }
    }

    @Test
    public void boundsMustBePositive() {
        assertMessage(() -> ops.clampInPlace(grads, 0f), "limit must be positive, got 0.0");
        assertMessage(() -> ops.clampInPlace(grads, Float.NaN), "limit must be positive, got NaN");
        assertMessage(() -> ops.clipByGlobalNorm(grads, -1f, 2f), "maxNorm must be finite and > 0");
        assertMessage(
                () -> ops.clipByGlobalNorm(grads, Float.POSITIVE_INFINITY, 2f), "got Infinity");
    }

    private static void assertMessage(Runnable call, String fragment) {
        IllegalArgumentException e = expectThrows(IllegalArgumentException.class, call::run);
        assertTrue(
                e.getMessage().contains(fragment),
                "message '" + e.getMessage() + "' lacks '" + fragment + "'");
    }
}
