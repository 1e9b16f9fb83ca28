package io.gradguard;

import static org.testng.Assert.assertEquals;
import static org.testng.Assert.assertTrue;
import static org.testng.Assert.expectThrows;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.gradguard.scale.LossScaler;
import java.util.List;
import org.testng.annotations.Test;

/** The functional scaler API refuses the orders that would clip scaled gradients. */
public class CustomLoopScalingTest {

    @Test
    public void unscaleThenClipThenUpdate() {
        try (NDManager m = NDManager.newBaseManager(Device.cpu(), "PyTorch")) {
            LossScaler scaler = LossScaler.fixed(4f);
            NDArray g = m.create(new float[] {12f, 16f}); // true gradient [3, 4], norm 5
            IllegalStateException early =
                    expectThrows(
                            IllegalStateException.class,
                            () -> scaler.clipGradNorm(List.of(g), 1f, 2f));
            assertTrue(early.getMessage().contains("unscale(grads) first"), early.getMessage());
            assertEquals(scaler.unscale(List.of(g)).getFloat(), 0f);
            assertEquals(g.toFloatArray(), new float[] {3f, 4f});
            IllegalStateException twice =
                    expectThrows(IllegalStateException.class, () -> scaler.unscale(List.of(g)));
            assertTrue(twice.getMessage().contains("already"), twice.getMessage());
            assertEquals(scaler.clipGradNorm(List.of(g), 10f, 2f).getFloat(), 5f);
            scaler.update(false);
            NDArray h = m.create(new float[] {Float.NaN});
            assertEquals(scaler.unscale(List.of(h)).getFloat(), 1f);
        }
    }

    @Test
    public void noneNeedsNoUnscale() {
        try (NDManager m = NDManager.newBaseManager(Device.cpu(), "PyTorch")) {
            NDArray g = m.create(new float[] {3f, 4f});
            assertEquals(LossScaler.none().clipGradNorm(List.of(g), 10f, 2f).getFloat(), 5f);
        }
    }
}
