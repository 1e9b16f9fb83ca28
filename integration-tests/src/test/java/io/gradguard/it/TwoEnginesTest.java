package io.gradguard.it;

import static org.testng.Assert.assertEquals;
import static org.testng.Assert.assertTrue;
import static org.testng.Assert.expectThrows;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.gradguard.clip.GradientClipping;
import java.util.List;
import java.util.function.Consumer;
import org.testng.annotations.Test;

/**
 * Gradients of two engines in one call, both on the CPU (so the device check alone cannot tell them
 * apart), are refused by every function with an {@link IllegalArgumentException} naming both
 * engines, in either order, and nothing is created or changed.
 */
public class TwoEnginesTest {

    @Test
    public void gradientsOfTwoEnginesAreRejected() {
        try (NDManager pytorch = NDManager.newBaseManager(Device.cpu(), "PyTorch");
                NDManager mxnet = NDManager.newBaseManager(Device.cpu(), "MXNet")) {
            NDArray a = pytorch.create(new float[] {3f, 4f});
            NDArray b = mxnet.create(new float[] {12f});
            List<Consumer<List<NDArray>>> calls =
                    List.of(
                            grads -> GradientClipping.clipGradNorm(grads, 1f),
                            grads -> GradientClipping.clipGradNorm(grads, 1f, 2f, true),
                            grads -> GradientClipping.totalNorm(grads, 2f),
                            grads -> GradientClipping.clipGradValue(grads, 1f));
            for (List<NDArray> grads : List.of(List.of(a, b), List.of(b, a))) {
                for (Consumer<List<NDArray>> call : calls) {
                    int ptArrays = pytorch.getManagedArrays().size();
                    int mxArrays = mxnet.getManagedArrays().size();
                    IllegalArgumentException e =
                            expectThrows(IllegalArgumentException.class, () -> call.accept(grads));
                    assertTrue(e.getMessage().contains("PyTorch"), e.getMessage());
                    assertTrue(e.getMessage().contains("MXNet"), e.getMessage());
                    assertEquals(pytorch.getManagedArrays().size(), ptArrays, e.getMessage());
                    assertEquals(mxnet.getManagedArrays().size(), mxArrays, e.getMessage());
                }
            }
            assertEquals(a.toFloatArray(), new float[] {3f, 4f}, "untouched");
            assertEquals(b.toFloatArray(), new float[] {12f}, "untouched");
        }
    }
}
