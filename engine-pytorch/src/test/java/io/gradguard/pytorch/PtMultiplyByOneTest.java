package io.gradguard.pytorch;

import static org.testng.Assert.assertEquals;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.List;
import org.testng.annotations.Test;

/**
 * On the CPU the fused ops skip a multiply by exactly 1, so even a signalling NaN keeps its bits,
 * where a multiply (PyTorch's {@code _foreach_mul_}, the generic ops) would quiet it to {@code
 * 0x7fc00123}; any other factor multiplies. A NaN stays a NaN either way. The bound of a clip
 * cannot reach this case: a NaN makes the norm NaN and the coefficient NaN.
 */
public class PtMultiplyByOneTest {

    /** A signalling NaN (quiet bit clear) with payload 0x123. */
    private static final float SIGNALLING_NAN = Float.intBitsToFloat(0x7f800123);

    @Test
    public void aFactorOfOneLeavesASignallingNaNAndOthersMultiply() {
        PtGradientOps ops = PtGradientOps.load();
        try (NDManager manager = NDManager.newBaseManager(Device.cpu(), "PyTorch")) {
            NDArray kept = manager.create(new float[] {SIGNALLING_NAN, 2f});
            ops.scaleInPlace(List.of(kept), manager.create(1f));
            float[] one = kept.toFloatArray();
            assertEquals(Float.floatToRawIntBits(one[0]), 0x7f800123, "x * 1 is skipped");
            assertEquals(one[1], 2f);
            NDArray multiplied = manager.create(new float[] {SIGNALLING_NAN, 2f});
            ops.scaleInPlace(List.of(multiplied), manager.create(Math.nextUp(1f)));
            float[] next = multiplied.toFloatArray();
            assertEquals(Float.floatToRawIntBits(next[0]), 0x7fc00123, "the multiply quiets it");
            assertEquals(next[1], Math.nextUp(2f), "2 * (1 + 2^-23) = 2 + 2^-22");
        }
    }
}
