package io.gradguard.testkit;

import static org.testng.Assert.assertEquals;
import static org.testng.Assert.assertThrows;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.gradguard.spi.GlobalNormStep;
import io.gradguard.spi.GradientOps;
import java.util.ArrayList;
import java.util.List;
import org.testng.annotations.Test;

/**
 * The one-call guarded step of the {@link GradientOpsContractKit}: {@link
 * GradientOps#globalNormStep} must leave the same gradient bits and return the same packed bits as
 * {@link GlobalNormStep#composeWith} on the same ops, for every combination of loss scale (none,
 * {@code 1/S = 0.5}, {@code 1/S = 4} with the re-check), check, accumulation multiplier, loss flag,
 * norm type, a bound below and above the norm, and gradients with and without a NaN; and again on
 * hard values (infinities, finite values whose 2-norm overflows, subnormals, a zero-size tensor) in
 * float32, float16 and a list of both. Extend {@link GradientOpsContractKit}, not this class.
 */
public abstract class GlobalNormStepKit extends NonFiniteKit {

    /** A bound below every norm of the sets used here, and one above all of them. */
    private static final float[] BOUNDS = {0.5f, 1000f};

    /** The one-call step and its composition agree bit for bit in every combination. */
    @Test
    public void globalNormStepEqualsItsComposition() {
        int cases = 0;
        for (boolean withNaN : new boolean[] {false, true}) {
            for (float invScale : new float[] {0f, 0.5f, 4f}) {
                for (boolean check : new boolean[] {false, true}) {
                    for (boolean accumulated : new boolean[] {false, true}) {
                        for (boolean lossFault : new boolean[] {false, true}) {
                            for (float normType : new float[] {2f, Float.POSITIVE_INFINITY}) {
                                for (float bound : BOUNDS) {
                                    compare(
                                            withNaN,
                                            invScale,
                                            check,
                                            accumulated,
                                            lossFault,
                                            normType,
                                            bound);
                                    cases++;
                                }
                            }
                        }
                    }
                }
            }
        }
        assertEquals(cases, 192);
    }

    /**
     * The one-call step and its composition agree bit for bit on hard values, where a shortcut that
     * reads the finiteness of the values from their norm, or skips a multiply by 1, would show:
     * {@code +inf}, {@code -inf}, finite values whose 2-norm overflows to infinity (the flag must
     * stay 0 and the gradients finite until clipped), subnormals, and a zero-size tensor, each in
     * float32, float16 (where the engine holds it) and a list mixing both, under every loss scale,
     * check, norm type and bound.
     */
    @Test
    public void globalNormStepEqualsItsCompositionOnHardValues() {
        int cases = 0;
        for (HardValue plant : HardValue.values()) {
            for (String types : new String[] {"float32", "float16", "mixed"}) {
                if (!types.equals("float32") && !supportsFloat16()) {
                    continue;
                }
                for (float invScale : new float[] {0f, 0.5f, 4f}) {
                    for (boolean check : new boolean[] {false, true}) {
                        for (float normType : new float[] {2f, Float.POSITIVE_INFINITY}) {
                            for (float bound : BOUNDS) {
                                compareHard(plant, types, invScale, check, normType, bound);
                                cases++;
                            }
                        }
                    }
                }
            }
        }
        int typeSets = supportsFloat16() ? 3 : 1;
        assertEquals(cases, HardValue.values().length * typeSets * 24);
    }

    /** The packed result is a 1-D float32 array of five values, the flag set by a NaN. */
    @Test
    public void globalNormStepPacksFiveFloat32Values() {
        List<HostTensor> host = threeTensors();
        host.get(1).values()[2] = Float.NaN;
        List<NDArray> grads = create(host, DataType.FLOAT32);
        NDArray packed =
                ops().globalNormStep(
                                grads, new GlobalNormStep(null, false, true, null, 1f, 2f, null));
        assertEquals(packed.getDataType(), DataType.FLOAT32);
        assertEquals(packed.getShape(), new Shape(GlobalNormStep.PACKED_SIZE));
        float[] values = packed.toFloatArray();
        assertEquals(values[3], 1f, "flag");
        assertEquals(values[4], 0f, "no loss flag given");
    }

    /** An empty gradient list and a bad bound are refused before any native call. */
    @Test
    public void globalNormStepRefusesBadArguments() {
        GlobalNormStep step = new GlobalNormStep(null, false, true, null, 1f, 2f, null);
        assertThrows(IllegalArgumentException.class, () -> ops().globalNormStep(List.of(), step));
        assertThrows(
                IllegalArgumentException.class,
                () -> new GlobalNormStep(null, false, true, null, 0f, 2f, null));
        assertThrows(
                IllegalArgumentException.class,
                () -> new GlobalNormStep(null, false, true, null, 1f, 0.5f, null));
    }

    private void compare(
            boolean withNaN,
            float invScale,
            boolean check,
            boolean accumulated,
            boolean lossFault,
            float normType,
            float bound) {
        String what =
                "nan="
                        + withNaN
                        + " invScale="
                        + invScale
                        + " check="
                        + check
                        + " multiplier="
                        + (accumulated ? "0.25" : "none")
                        + " lossFlag="
                        + lossFault
                        + " normType="
                        + normType
                        + " maxNorm="
                        + bound;
        List<HostTensor> host = new ArrayList<>(threeTensors());
        host.addAll(RandomGradients.draw(3));
        if (withNaN) {
            host.get(2).values()[1] = Float.NaN;
        }
        List<NDArray> fused = create(host, DataType.FLOAT32);
        List<NDArray> composed = create(host, DataType.FLOAT32);
        GlobalNormStep step =
                new GlobalNormStep(
                        invScale == 0f ? null : manager().create(invScale),
                        invScale > 1f,
                        check,
                        accumulated ? manager().create(0.25f) : null,
                        bound,
                        normType,
                        lossFault ? manager().create(1f) : null);
        float[] expected = step.composeWith(ops(), composed).toFloatArray();
        float[] actual = ops().globalNormStep(fused, step).toFloatArray();
        assertBits(actual, expected, what + ": packed values");
        for (int i = 0; i < host.size(); i++) {
            assertBits(
                    fused.get(i).toFloatArray(),
                    composed.get(i).toFloatArray(),
                    what + ": gradient " + i);
        }
    }

    /** A value planted into a gradient set to test a shortcut's edge. */
    private enum HardValue {
        /** Positive infinity in one element. */
        POSITIVE_INFINITY,
        /** Negative infinity in one element. */
        NEGATIVE_INFINITY,
        /**
         * Finite values whose 2-norm overflows: two of 3e38 in float32 (their squares are above
         * float32's 3.4e38), 60000 in float16 (finite there, and infinite after {@code 1/S = 4}).
         */
        OVERFLOWING_NORM,
        /** Subnormal values: 1e-40 in float32 (0 in float16) and 2^-20 in float16. */
        SUBNORMAL,
        /** A zero-size tensor in the list, nothing else unusual. */
        ZERO_SIZE
    }

    private void compareHard(
            HardValue plant,
            String types,
            float invScale,
            boolean check,
            float normType,
            float bound) {
        String what =
                plant
                        + " "
                        + types
                        + " invScale="
                        + invScale
                        + " check="
                        + check
                        + " normType="
                        + normType
                        + " maxNorm="
                        + bound;
        boolean half = !types.equals("float32");
        List<HostTensor> host = new ArrayList<>(threeTensors());
        host.addAll(RandomGradients.draw(2));
        float[] planted = host.get(1).values();
        switch (plant) {
            case POSITIVE_INFINITY -> planted[0] = Float.POSITIVE_INFINITY;
            case NEGATIVE_INFINITY -> planted[3] = Float.NEGATIVE_INFINITY;
            case OVERFLOWING_NORM -> {
                planted[0] = half ? 60000f : 3e38f;
                planted[1] = half ? -60000f : -3e38f;
            }
            case SUBNORMAL -> {
                planted[0] = 1e-40f;
                planted[2] = 0x1p-20f;
            }
            case ZERO_SIZE -> host.add(2, new HostTensor(new long[] {0}, new float[0]));
        }
        List<NDArray> fused = createTyped(host, types);
        List<NDArray> composed = createTyped(host, types);
        GlobalNormStep step =
                new GlobalNormStep(
                        invScale == 0f ? null : manager().create(invScale),
                        invScale > 1f,
                        check,
                        null,
                        bound,
                        normType,
                        null);
        float[] expected = step.composeWith(ops(), composed).toFloatArray();
        float[] actual = ops().globalNormStep(fused, step).toFloatArray();
        assertBits(actual, expected, what + ": packed values");
        for (int i = 0; i < host.size(); i++) {
            assertBits(
                    asFloat32(fused.get(i)), asFloat32(composed.get(i)), what + ": gradient " + i);
        }
    }

    /** Creates float32 or float16 arrays, or alternates float16 and float32 for "mixed". */
    private List<NDArray> createTyped(List<HostTensor> host, String types) {
        if (!types.equals("mixed")) {
            return create(host, types.equals("float16") ? DataType.FLOAT16 : DataType.FLOAT32);
        }
        List<NDArray> out = new ArrayList<>();
        for (int i = 0; i < host.size(); i++) {
            DataType type = i % 2 == 0 ? DataType.FLOAT16 : DataType.FLOAT32;
            out.add(create(List.of(host.get(i)), type).get(0));
        }
        return out;
    }

    /** Returns the values of a float32 or float16 array as float32 (exact for float16). */
    private static float[] asFloat32(NDArray array) {
        return array.getDataType() == DataType.FLOAT32
                ? array.toFloatArray()
                : array.toType(DataType.FLOAT32, false).toFloatArray();
    }

    /**
     * Asserts that two float arrays hold the same raw bits, NaN payloads and signs included.
     *
     * @param actual the values under test
     * @param expected the reference values
     * @param what the case, for the message
     */
    protected static void assertBits(float[] actual, float[] expected, String what) {
        assertEquals(actual.length, expected.length, what);
        for (int i = 0; i < actual.length; i++) {
            assertEquals(
                    Float.floatToRawIntBits(actual[i]),
                    Float.floatToRawIntBits(expected[i]),
                    what + " [" + i + "]: " + actual[i] + " vs " + expected[i]);
        }
    }
}
