package io.gradguard;

import static org.testng.Assert.assertEquals;
import static org.testng.Assert.assertTrue;
import static org.testng.Assert.expectThrows;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import io.gradguard.clip.GradientClipping;
import java.lang.reflect.Proxy;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.testng.annotations.Test;

/**
 * Gradients on different devices are refused before any native call. This machine has one CPU
 * device only (DJL treats every CPU id as the same device), so the second device is a proxy {@link
 * NDArray} that answers {@code getDevice()} with {@code gpu(1)}, the other metadata getters of the
 * list checks ({@code isReleased}, {@code getManager}, {@code getDataType}) as a float32 array of
 * the given manager would, and fails the test on any other call.
 */
public class DeviceMismatchTest {

    /** Returns an NDArray on {@code gpu(1)} that counts any call other than metadata getters. */
    static NDArray onAnotherDevice(AtomicInteger otherCalls, NDManager manager) {
        return (NDArray)
                Proxy.newProxyInstance(
                        NDArray.class.getClassLoader(),
                        new Class<?>[] {NDArray.class},
                        (proxy, method, args) -> {
                            switch (method.getName()) {
                                case "getDevice":
                                    return Device.gpu(1);
                                case "isReleased":
                                    return false;
                                case "getManager":
                                    return manager;
                                case "getDataType":
                                    return DataType.FLOAT32;
                                case "toString":
                                    return "proxy on gpu(1)";
                                case "hashCode":
                                    return System.identityHashCode(proxy);
                                case "equals":
                                    return proxy == args[0];
                                default:
                                    otherCalls.incrementAndGet();
                                    throw new AssertionError("reached " + method.getName());
                            }
                        });
    }

    @Test
    public void everyFunctionRefusesASecondDevice() {
        AtomicInteger otherCalls = new AtomicInteger();
        try (NDManager manager = NDManager.newBaseManager(Device.cpu(), "PyTorch")) {
            NDArray gpu = onAnotherDevice(otherCalls, manager);
            NDArray cpu = manager.create(new float[] {3f, 4f});
            List<Runnable> calls =
                    List.of(
                            () -> GradientClipping.clipGradNorm(List.of(cpu, gpu), 1f),
                            () -> GradientClipping.clipGradNorm(List.of(cpu, gpu), 1f, 2f, true),
                            () -> GradientClipping.totalNorm(List.of(cpu, gpu), 2f),
                            () -> GradientClipping.clipGradValue(List.of(cpu, gpu), 1f));
            for (Runnable call : calls) {
                IllegalArgumentException e =
                        expectThrows(IllegalArgumentException.class, call::run);
                assertTrue(e.getMessage().contains("grads[1] on gpu(1)"), e.getMessage());
                assertTrue(e.getMessage().contains("grads[0] is on cpu()"), e.getMessage());
            }
            assertEquals(otherCalls.get(), 0, "nothing but metadata was read from the proxy");
            assertEquals(cpu.toFloatArray(), new float[] {3f, 4f}, "the CPU gradient is untouched");
        }
    }
}
