package io.gradguard.pytorch;

import static org.testng.Assert.assertTrue;
import static org.testng.Assert.expectThrows;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
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
