package io.gradguard.it;

import static org.testng.Assert.assertEquals;
import static org.testng.Assert.assertSame;
import static org.testng.Assert.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import io.gradguard.clip.GradientClipping;
import io.gradguard.scale.LossScaler;
import io.gradguard.spi.DeviceScalars;
import io.gradguard.spi.GradientOps;
import java.util.List;
import java.util.Map;
import org.testng.annotations.DataProvider;
import org.testng.annotations.Test;

/**
 * A custom loop whose clip threshold changes at every call (a schedule) holds a bounded number of
 * native arrays: every live array of the engine, counted per owning manager ({@link
 * LeakKit#countByManager}), the {@code gradguard-constants} managers included, is the same after a
 * warm-up and after 10,000 more distinct thresholds, through {@link GradientClipping} (fused ops,
 * with and without {@code errorIfNonFinite}), a loss scaler's {@code clipGradNorm}, and the generic
 * ops' default {@code clipByGlobalNorm}. A threshold that repeats is cached from its second call.
 */
public class LeakScheduledThresholdsTest {

    private static final int WARM_UP = 100;
    private static final int DISTINCT = 10_000;

    @DataProvider
    public Object[][] engines() {
        return new Object[][] {{"PyTorch"}, {"MXNet"}};
    }

    @Test(dataProvider = "engines")
    public void tenThousandDistinctThresholdsKeepNativeArraysFlat(String engine) {
        try (NDManager m = NDManager.newBaseManager(Device.cpu(), engine)) {
            NDManager root = m.getParentManager();
            List<NDArray> grads =
                    List.of(m.create(new float[] {3f, 4f}), m.create(new float[] {12f, 0f, 5f}));
            LossScaler scaler = LossScaler.fixed(2f);
            // Thresholds 0.5 + k ulps: all distinct, and used nowhere else.
            float threshold = 0.5f;
            Map<String, Integer> afterWarmUp = null;
            for (int i = 0; i < WARM_UP + DISTINCT; i++) {
                if (i == WARM_UP) {
                    afterWarmUp = LeakKit.countByManager(root);
                }
                threshold = Math.nextUp(threshold);
                switch (i % 4) {
                    case 0 -> GradientClipping.clipGradNorm(grads, threshold).close();
                    case 1 -> GradientClipping.clipGradNorm(grads, threshold, 2f, true).close();
                    case 2 -> {
                        scaler.unscale(grads).close();
                        scaler.clipGradNorm(grads, threshold, 2f).close();
                        scaler.update(false);
                    }
                    default -> {
                        try (NDManager step = m.newSubManager()) {
                            step.tempAttachAll(grads.toArray(new NDArray[0]));
                            GradientOps.generic().clipByGlobalNorm(grads, threshold, 2f);
                        }
                    }
                }
                // Keep the gradients away from 0 and from overflow: rescale to norm 13 by hand.
                if (i % 64 == 63) {
                    grads.get(0).set(new float[] {3f, 4f});
                    grads.get(1).set(new float[] {12f, 0f, 5f});
                }
            }
            Map<String, Integer> atEnd = LeakKit.countByManager(root);
            System.out.println(
                    "RELIABILITY scheduled thresholds "
                            + engine
                            + " after "
                            + WARM_UP
                            + ": "
                            + afterWarmUp
                            + " after "
                            + (WARM_UP + DISTINCT)
                            + ": "
                            + atEnd);
            assertTrue(afterWarmUp.containsKey("gradguard-constants"), "constants are counted");
            assertEquals(atEnd, afterWarmUp);
            assertTrue(
                    atEnd.get("gradguard-constants") <= 3 * DeviceScalars.CAPACITY,
                    "bounded: " + atEnd);
        }
    }

    @Test(dataProvider = "engines")
    public void aRepeatedThresholdIsCachedFromItsSecondCall(String engine) {
        try (NDManager m = NDManager.newBaseManager(Device.cpu(), engine)) {
            NDArray like = m.create(0f);
            float value = 0.0314159f;
            NDArray first = DeviceScalars.argument(like, value);
            assertSame(first.getManager(), m, "first call: created beside the caller's array");
            boolean full = DeviceScalars.isFull(like, DataType.FLOAT32);
            NDArray second = DeviceScalars.argument(like, value);
            if (full) {
                // Other tests in this JVM filled the bounded cache: values live in the call's
                // scope.
                assertSame(second.getManager(), m, "a full cache caches nothing more");
            } else {
                assertEquals(second.getManager().getName(), "gradguard-constants");
                assertSame(DeviceScalars.argument(like, value), second, "third call: same array");
            }
            assertEquals(second.getFloat(), value);
            assertEquals(first.getFloat(), value);
        }
    }
}
