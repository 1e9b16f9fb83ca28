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
 * norm type, a bound below and above the norm, and gradients with and without a NaN. Extend {@link
 * GradientOpsContractKit}, not this class.
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

    private static void assertBits(float[] actual, float[] expected, String what) {
        assertEquals(actual.length, expected.length, what);
        for (int i = 0; i < actual.length; i++) {
            assertEquals(
                    Float.floatToIntBits(actual[i]),
                    Float.floatToIntBits(expected[i]),
                    what + " [" + i + "]: " + actual[i] + " vs " + expected[i]);
        }
    }
}
