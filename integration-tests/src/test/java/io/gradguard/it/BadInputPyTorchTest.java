package io.gradguard.it;

import static org.testng.Assert.assertEquals;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import io.gradguard.clip.GradientClipping;
import io.gradguard.spi.GradientOps;
import java.util.List;
import org.testng.annotations.Test;

/** Runs {@link BadInputKit} on the PyTorch engine, plus mixed float32/float16 gradients. */
public class BadInputPyTorchTest extends BadInputKit {

    @Override
    protected String engineName() {
        return "PyTorch";
    }

    @Test
    public void mixedFloat32AndFloat16GradientsClipTogether() {
        try (NDManager m = NDManager.newBaseManager(Device.cpu(), "PyTorch")) {
            assertEquals(GradientOps.forEngine(m.getEngine()).name(), "pytorch-fused", "fused ops");
            NDArray a = m.create(new float[] {3f, 4f});
            NDArray b = m.create(new float[] {12f}).toType(DataType.FLOAT16, false);
            NDArray norm = GradientClipping.clipGradNorm(List.of(a, b), 6.5f);
            // The norm of (3, 4, 12) is 13, taken in float32; each gradient keeps its dtype.
            assertEquals(norm.getDataType(), DataType.FLOAT32);
            assertEquals(norm.getFloat(), 13f);
            float coef = 6.5f / (13f + 1e-6f); // 0.49999996
            assertEquals(a.getDataType(), DataType.FLOAT32);
            assertEquals(a.toFloatArray(), new float[] {3f * coef, 4f * coef});
            // 12 * coef = 5.9999995 in float32; the nearest float16 is 6 (spacing 2^-8 * 4).
            assertEquals(b.getDataType(), DataType.FLOAT16);
            assertEquals(b.toType(DataType.FLOAT32, false).toFloatArray(), new float[] {6f});
        }
    }
}
