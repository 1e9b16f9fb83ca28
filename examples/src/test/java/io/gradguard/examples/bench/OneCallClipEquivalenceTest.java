package io.gradguard.examples.bench;

import static org.testng.Assert.assertEquals;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.gradguard.spi.GradientOps;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.testng.annotations.DataProvider;
import org.testng.annotations.Test;

/**
 * The one-call global-norm clip of the PyTorch ops ({@code GradientOps.clipByGlobalNorm}, one call
 * of the TorchScript module) is bit-identical to the SPI's default on the same ops, three calls
 * (total norm, the coefficient on the device, scale): same norm, same gradients, for float32 and
 * float16, every norm order, below and above the bound, and with NaN or infinity. So {@code
 * GradientClipping.clipGradNorm} may take the one call, and the benchmark's two rows time the same
 * result.
 */
public class OneCallClipEquivalenceTest {

    private static final GradientOps FUSED = GradientOps.forEngine(Engine.getEngine("PyTorch"));
    private static final GradientOps THREE_CALLS = new ThreeCallOps(FUSED);

    /**
     * Supplies test parameters.
     *
     * @return seed, dtype, norm order and a bound as a fraction of the norm (above 1: no clip), and
     *     a value to plant (0: none)
     */
    @DataProvider
    public Object[][] cases() {
        List<Object[]> rows = new ArrayList<>();
        float[] orders = {2f, 1f, 3f, Float.POSITIVE_INFINITY};
        long seed = 1;
        for (DataType type : List.of(DataType.FLOAT32, DataType.FLOAT16)) {
            for (float p : orders) {
                for (double fraction : new double[] {0.3, 1.7}) {
                    rows.add(new Object[] {seed++, type, p, fraction, 0f});
                }
            }
            rows.add(new Object[] {seed++, type, 2f, 0.3, Float.NaN});
            rows.add(new Object[] {seed++, type, 2f, 0.3, Float.POSITIVE_INFINITY});
        }
        return rows.toArray(Object[][]::new);
    }

    /**
     * The SPI method: fused and default give the same norm and gradients, bit for bit.
     *
     * @param seed the seed of the gradient values
     * @param type the gradient dtype
     * @param p the norm order
     * @param fraction the bound as a fraction of the norm
     * @param planted a non-finite value to plant, or 0
     */
    @Test(dataProvider = "cases")
    public void clipByGlobalNormIsBitIdentical(
            long seed, DataType type, float p, double fraction, float planted) {
        try (NDManager manager = NDManager.newBaseManager(Device.cpu(), "PyTorch")) {
            float[][] values = values(seed, planted);
            List<NDArray> a = arrays(manager, values, type);
            List<NDArray> b = arrays(manager, values, type);
            float maxNorm = bound(values, p, fraction);
            NDArray normA = FUSED.clipByGlobalNorm(a, maxNorm, p);
            NDArray normB = THREE_CALLS.clipByGlobalNorm(b, maxNorm, p);
            assertSameBits(normA.toFloatArray(), normB.toFloatArray(), "norm");
            for (int i = 0; i < a.size(); i++) {
                assertEquals(a.get(i).getDataType(), type);
                assertSameBits(a.get(i).toFloatArray(), b.get(i).toFloatArray(), "tensor " + i);
            }
        }
    }

    /** Three tensors of different shapes, normal values; a planted value goes in the second. */
    private static float[][] values(long seed, float planted) {
        Random random = new Random(seed);
        int[] sizes = {6, 35, 128};
        float[][] out = new float[sizes.length][];
        for (int t = 0; t < sizes.length; t++) {
            out[t] = new float[sizes[t]];
            for (int i = 0; i < sizes[t]; i++) {
                // float16-exact values, so both dtypes start from the same numbers
                out[t][i] = Math.round(random.nextGaussian() * 256) / 256f;
            }
        }
        if (planted != 0f) {
            out[1][7] = planted;
        }
        return out;
    }

    private static List<NDArray> arrays(NDManager manager, float[][] values, DataType type) {
        List<NDArray> out = new ArrayList<>();
        for (float[] v : values) {
            out.add(manager.create(v, new Shape(v.length)).toType(type, false));
        }
        return out;
    }

    /** {@code fraction} of the p-norm of the finite values, in double. */
    private static float bound(float[][] values, float p, double fraction) {
        double acc = 0;
        for (float[] v : values) {
            for (float x : v) {
                if (Float.isFinite(x)) {
                    double a = Math.abs(x);
                    acc = Float.isInfinite(p) ? Math.max(acc, a) : acc + Math.pow(a, p);
                }
            }
        }
        double norm = Float.isInfinite(p) ? acc : Math.pow(acc, 1.0 / p);
        return (float) (norm * fraction);
    }

    private static void assertSameBits(float[] actual, float[] expected, String what) {
        assertEquals(actual.length, expected.length, what);
        for (int i = 0; i < actual.length; i++) {
            assertEquals(
                    Float.floatToIntBits(actual[i]),
                    Float.floatToIntBits(expected[i]),
                    what + "[" + i + "]: " + actual[i] + " vs " + expected[i]);
        }
    }
}
