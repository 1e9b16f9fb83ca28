package io.gradguard.testkit;

import static org.testng.Assert.assertEquals;
import static org.testng.Assert.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import io.gradguard.spi.GlobalNormStep;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.testng.annotations.DataProvider;
import org.testng.annotations.Test;

/**
 * The edges of the one-call guarded step in the {@link GradientOpsContractKit}, for every norm
 * type: the packed flag must be exactly "some unscaled value is NaN or infinite", whatever the norm
 * (a NaN or infinity anywhere in a long tensor, finite values whose total norm alone overflows,
 * finite values that overflow once unscaled); a coefficient of 1 times an accumulation multiplier
 * must multiply once in float32; and a factor of exactly 1 must keep every bit. Expected values
 * come from the host: Java's {@code float} arithmetic is IEEE binary32, so {@code g * m} is the
 * correctly rounded float32 product. Extend {@link GradientOpsContractKit}, not this class.
 */
public abstract class GlobalNormStepEdgeKit extends GlobalNormStepKit {

    /** Long enough for vectorized loops with a tail and for a reduction split over threads. */
    private static final int LONG = 40_003;

    /** Where a bad value goes in the long tensor: first, a vector lane, the middle, the tail. */
    private static final int[] POSITIONS = {0, 7, LONG / 2, LONG - 1};

    /**
     * Supplies test parameters.
     *
     * @return the norm types 1, 1.5, 2, 3 and infinity
     */
    @DataProvider
    public Object[][] normTypes() {
        return new Object[][] {{1f}, {1.5f}, {2f}, {3f}, {Float.POSITIVE_INFINITY}};
    }

    /**
     * The flag is 1 exactly when a NaN, {@code +inf} or {@code -inf} sits anywhere in the long
     * tensor, without a loss scale (with {@code check}) and with {@code 1/S = 0.5}; everything else
     * matches the composition bit for bit.
     *
     * @param normType the norm type
     */
    @Test(dataProvider = "normTypes")
    public void flagIsExactForEveryNormType(float normType) {
        float[] bads = {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY};
        for (float invScale : new float[] {0f, 0.5f}) {
            assertStep(longSet(Float.NaN, -1), invScale, normType, 1000f, 0f, "clean");
            for (float bad : bads) {
                for (int position : POSITIONS) {
                    String what = "bad=" + bad + " at " + position;
                    assertStep(longSet(bad, position), invScale, normType, 1000f, 1f, what);
                }
            }
        }
    }

    /**
     * The same in float16, where the engine holds it (0.5 and the planted values are exact there).
     * NaN payloads are compared too: a float16 NaN norm can carry another payload than {@code
     * 0x7fc00000}, and both paths must keep it, as {@code torch.clamp(q, max=1)} in {@code
     * clip_grad_norm_} does.
     *
     * @param normType the norm type
     */
    @Test(dataProvider = "normTypes")
    public void flagIsExactForEveryNormTypeInFloat16(float normType) {
        requireFloat16();
        float[] bads = {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY};
        for (float invScale : new float[] {0f, 0.5f}) {
            assertStep(
                    longSet(Float.NaN, -1),
                    DataType.FLOAT16,
                    invScale,
                    normType,
                    1000f,
                    0f,
                    "clean");
            for (float bad : bads) {
                for (int position : POSITIONS) {
                    String what = "bad=" + bad + " at " + position;
                    assertStep(
                            longSet(bad, position),
                            DataType.FLOAT16,
                            invScale,
                            normType,
                            1000f,
                            1f,
                            what);
                }
            }
        }
    }

    /**
     * The NaN that x86 arithmetic makes ({@code 0 * inf}, {@code inf - inf}: {@code 0xffc00000},
     * sign bit set) goes through the one call and the composition alike, bit for bit.
     *
     * @param normType the norm type
     */
    @Test(dataProvider = "normTypes")
    public void machineNaNGivesTheSameBitsAsTheComposition(float normType) {
        float machineNaN = Float.intBitsToFloat(0xffc00000);
        for (float invScale : new float[] {0f, 0.5f}) {
            assertStep(smallSetWith(machineNaN), invScale, normType, 1f, 1f, "NaN ffc00000");
        }
    }

    /**
     * Finite values whose per-tensor norms are finite but whose total norm overflows float32 raise
     * no flag: the norm is {@code +inf}, the coefficient 0, and every gradient becomes a zero of
     * its own sign. Each tensor holds one value {@code v} with {@code v^p} below float32's maximum
     * 3.40e38 and {@code 2 v^p} above it: {@code v = 2e38} for {@code p = 1}, {@code 1.5e19} for
     * {@code p = 2} ({@code v^2 = 2.25e38}), {@code 6e12} for {@code p = 3} ({@code v^3 =
     * 2.16e38}).
     */
    @Test
    public void flagStaysZeroWhenOnlyTheTotalNormOverflows() {
        float[][] cases = {{1f, 2e38f}, {2f, 1.5e19f}, {3f, 6e12f}};
        for (float[] c : cases) {
            float v = c[1];
            List<HostTensor> host =
                    List.of(
                            new HostTensor(new long[] {1}, new float[] {v}),
                            new HostTensor(new long[] {1}, new float[] {-v}));
            for (float norm :
                    ops().perTensorNorms(create(host, DataType.FLOAT32), c[0]).toFloatArray()) {
                assertTrue(
                        Float.isFinite(norm), "p=" + c[0] + ": a tensor's norm is finite: " + norm);
            }
            List<NDArray> grads = create(host, DataType.FLOAT32);
            float[] packed =
                    ops().globalNormStep(
                                    grads,
                                    new GlobalNormStep(null, false, true, null, 1f, c[0], null))
                            .toFloatArray();
            String what = "p=" + c[0] + " v=" + v;
            assertBits(packed, new float[] {Float.POSITIVE_INFINITY, 0f, 1f, 0f, 0f}, what);
            assertBits(grads.get(0).toFloatArray(), new float[] {0f}, what + ": +v * 0");
            assertBits(grads.get(1).toFloatArray(), new float[] {-0f}, what + ": -v * 0");
            assertStep(host, 0f, c[0], 1f, 0f, what);
        }
    }

    /**
     * With {@code 1/S = 4} and the re-check, a finite value that overflows once unscaled ({@code
     * 1e38 * 4}) raises the flag under every norm type, while {@code 5e37 * 4 = 2e38} does not.
     *
     * @param normType the norm type
     */
    @Test(dataProvider = "normTypes")
    public void recheckFindsValuesThatOverflowWhenUnscaled(float normType) {
        for (float big : new float[] {1e38f, -1e38f}) {
            assertStep(smallSetWith(big), 4f, normType, 1f, 1f, "big=" + big);
        }
        assertStep(smallSetWith(5e37f), 4f, normType, 1f, 0f, "5e37 stays finite");
    }

    /**
     * With a bound far above the norm the coefficient is exactly 1, and the gradients become {@code
     * g * m} rounded once to float32, for the multipliers 1/4 and 1/3 of an accumulation over 4 and
     * 3 micro-batches; the packed norm is the composition's.
     */
    @Test
    public void multiplierWithCoefficientOneMultipliesOnce() {
        for (float m : new float[] {0.25f, 1f / 3}) {
            List<HostTensor> host = new ArrayList<>(threeTensors());
            host.addAll(RandomGradients.draw(3));
            List<NDArray> grads = create(host, DataType.FLOAT32);
            GlobalNormStep step =
                    new GlobalNormStep(null, false, true, manager().create(m), 1e30f, 2f, null);
            float[] packed = ops().globalNormStep(grads, step).toFloatArray();
            float[] composed =
                    step.composeWith(ops(), create(host, DataType.FLOAT32)).toFloatArray();
            assertBits(packed, composed, "m=" + m + ": packed");
            assertEquals(packed[1], 1f, "m=" + m + ": coefficient");
            assertEquals(packed[2], 0f, "m=" + m + ": not clipped");
            for (int i = 0; i < host.size(); i++) {
                float[] expected = host.get(i).values().clone();
                for (int j = 0; j < expected.length; j++) {
                    expected[j] *= m;
                }
                assertBits(grads.get(i).toFloatArray(), expected, "m=" + m + ": gradient " + i);
            }
        }
    }

    /**
     * Scaling by exactly 1 keeps every bit: {@code -0}, subnormals down to the smallest, the
     * largest float, infinities, and quiet NaNs of either sign with a payload.
     */
    @Test
    public void scalingByExactlyOneKeepsEveryBit() {
        float[] values = {
            -0f,
            1e-40f,
            -Float.MIN_VALUE,
            Float.MAX_VALUE,
            Float.NEGATIVE_INFINITY,
            Float.POSITIVE_INFINITY,
            Float.intBitsToFloat(0x7fc00123),
            Float.intBitsToFloat(0xffc00000)
        };
        List<NDArray> grads =
                create(
                        List.of(new HostTensor(new long[] {values.length}, values)),
                        DataType.FLOAT32);
        ops().scaleInPlace(grads, manager().create(1f));
        assertBits(grads.get(0).toFloatArray(), values, "x * 1");
    }

    /**
     * Runs the one call and the composition on copies of {@code host}: the packed flag must be
     * {@code flag}, and the packed values and gradients must agree bit for bit.
     */
    private void assertStep(
            List<HostTensor> host,
            float invScale,
            float normType,
            float bound,
            float flag,
            String what) {
        assertStep(host, DataType.FLOAT32, invScale, normType, bound, flag, what);
    }

    /** As {@link #assertStep(List, float, float, float, float, String)} in {@code type}. */
    private void assertStep(
            List<HostTensor> host,
            DataType type,
            float invScale,
            float normType,
            float bound,
            float flag,
            String what) {
        String where =
                what + " " + type + " invScale=" + invScale + " p=" + normType + " bound=" + bound;
        GlobalNormStep step =
                new GlobalNormStep(
                        invScale == 0f ? null : manager().create(invScale),
                        invScale > 1f,
                        true,
                        null,
                        bound,
                        normType,
                        null);
        List<NDArray> fused = create(host, type);
        List<NDArray> composed = create(host, type);
        float[] expected = step.composeWith(ops(), composed).toFloatArray();
        float[] actual = ops().globalNormStep(fused, step).toFloatArray();
        assertEquals(actual[3], flag, where + ": flag");
        assertBits(actual, expected, where + ": packed values");
        for (int i = 0; i < host.size(); i++) {
            assertBits(
                    fused.get(i).toType(DataType.FLOAT32, false).toFloatArray(),
                    composed.get(i).toType(DataType.FLOAT32, false).toFloatArray(),
                    where + ": gradient " + i);
        }
    }

    /** Three small tensors around a long one of 0.5s that holds {@code bad} at {@code position}. */
    private static List<HostTensor> longSet(float bad, int position) {
        float[] values = new float[LONG];
        Arrays.fill(values, 0.5f);
        if (position >= 0) {
            values[position] = bad;
        }
        List<HostTensor> host = new ArrayList<>(threeTensors());
        host.add(1, new HostTensor(new long[] {LONG}, values));
        return host;
    }

    /** The three small tensors with {@code value} in the middle one. */
    private static List<HostTensor> smallSetWith(float value) {
        List<HostTensor> host = threeTensors();
        host.get(1).values()[2] = value;
        return host;
    }
}
