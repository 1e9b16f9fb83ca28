package io.gradguard.pytorch;

import static org.testng.Assert.assertEquals;
import static org.testng.Assert.assertTrue;
import static org.testng.Assert.expectThrows;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.training.GradientCollector;
import java.util.Arrays;
import java.util.List;
import org.testng.annotations.Test;

/**
 * {@link PtGradientOps#castParametersInPlace}: the same array objects become float16 (DJL's cached
 * data type refreshed), hold the float16 roundings of their values, keep requiring a gradient, and
 * a backward pass through them gives float16 gradients. The loss {@code sum(3 w)} has gradient 3
 * everywhere, exact in float16.
 */
public class PtParameterCastTest {

    @Test
    public void arraysChangeTypeInPlaceAndStayTrainable() {
        PtGradientOps ops = PtGradientOps.load();
        try (NDManager manager = NDManager.newBaseManager(Device.cpu(), "PyTorch")) {
            // 0.1f and 1/3f are not float16 values; 2049 rounds to 2048 in float16.
            float[] values = {0.1f, 1f / 3, 2049f, -7.5f};
            NDArray w = manager.create(values);
            w.setRequiresGradient(true);
            assertEquals(w.getDataType(), DataType.FLOAT32, "read once, so DJL caches it");
            ops.castParametersInPlace(List.of(w), DataType.FLOAT16);
            assertEquals(w.getDataType(), DataType.FLOAT16);
            assertTrue(w.hasGradient(), "still requires a gradient");
            float[] expected =
                    manager.create(values)
                            .toType(DataType.FLOAT16, false)
                            .toType(DataType.FLOAT32, false)
                            .toFloatArray();
            assertEquals(expected[2], 2048f, "the reference rounds");
            float[] actual = w.toType(DataType.FLOAT32, true).toFloatArray();
            assertEquals(actual, expected, Arrays.toString(actual));
            try (GradientCollector collector = Engine.getEngine("PyTorch").newGradientCollector()) {
                collector.backward(w.mul(3).sum());
            }
            NDArray grad = w.getGradient();
            assertEquals(grad.getDataType(), DataType.FLOAT16);
            assertEquals(
                    grad.toType(DataType.FLOAT32, true).toFloatArray(), new float[] {3, 3, 3, 3});
        }
    }

    @Test
    public void badArgumentsAreRefusedBeforeAnyNativeCall() {
        PtGradientOps ops = PtGradientOps.load();
        IllegalArgumentException e =
                expectThrows(
                        IllegalArgumentException.class,
                        () -> ops.castParametersInPlace(null, DataType.FLOAT16));
        assertTrue(e.getMessage().contains("parameters"), e.getMessage());
        e =
                expectThrows(
                        IllegalArgumentException.class,
                        () ->
                                ops.castParametersInPlace(
                                        Arrays.asList((NDArray) null), DataType.FLOAT16));
        assertTrue(e.getMessage().contains("parameters[0]"), e.getMessage());
        try (NDManager manager = NDManager.newBaseManager(Device.cpu(), "PyTorch")) {
            NDArray w = manager.create(new float[] {1f});
            e =
                    expectThrows(
                            IllegalArgumentException.class,
                            () -> ops.castParametersInPlace(List.of(w), null));
            assertTrue(e.getMessage().contains("type"), e.getMessage());
            assertEquals(w.getDataType(), DataType.FLOAT32);
        }
        ops.castParametersInPlace(List.of(), DataType.FLOAT16); // nothing to do
    }
}
