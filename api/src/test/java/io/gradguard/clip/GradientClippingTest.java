package io.gradguard.clip;

import static org.testng.Assert.assertEquals;
import static org.testng.Assert.assertFalse;
import static org.testng.Assert.assertTrue;
import static org.testng.Assert.expectThrows;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.testng.annotations.Test;

/**
 * The functional API on the PyTorch engine: hand-worked values and the properties every clip must
 * keep. The PyTorch-generated literal vectors run in the GradientOps compatibility kit (test-kit).
 */
public class GradientClippingTest extends PyTorchArrays {

    @Test
    public void clipsThreeFourTwelveByHand() {
        try (NDManager m = manager.newSubManager()) {
            NDArray a = m.create(new float[] {3f, 4f});
            NDArray b = m.create(new float[] {12f});
            // ||(3, 4, 12)||_2 = sqrt(9 + 16 + 144) = 13; coef = 6.5 / (13 + 1e-6) in float32.
            NDArray norm = GradientClipping.clipGradNorm(List.of(a, b), 6.5f);
            assertEquals(norm.getFloat(), 13f);
            assertEquals(norm.getShape(), new Shape());
            float coef = 6.5f / (13f + 1e-6f);
            assertEquals(a.toFloatArray(), new float[] {3f * coef, 4f * coef});
            assertEquals(b.toFloatArray(), new float[] {12f * coef});
        }
    }

    @Test
    public void normsOfOtherOrdersByHand() {
        try (NDManager m = manager.newSubManager()) {
            List<NDArray> g = List.of(m.create(new float[] {3f, -4f}), m.create(new float[] {12f}));
            assertEquals(GradientClipping.totalNorm(g, 1f).getFloat(), 19f); // 3 + 4 + 12
            assertEquals(GradientClipping.totalNorm(g, Float.POSITIVE_INFINITY).getFloat(), 12f);
            // (27 + 64 + 1728)^(1/3) = 1819^(1/3) = 12.2079...
            assertEquals(
                    GradientClipping.totalNorm(g, 3f).getFloat(), (float) Math.cbrt(1819.0), 1e-5f);
        }
    }

    @Test
    public void propertiesHoldOnRandomSets() {
        Random random = new Random(11);
        for (int trial = 0; trial < 20; trial++) {
            try (NDManager m = manager.newSubManager()) {
                List<NDArray> grads = randomSet(m, random);
                float[] before = flatten(grads);
                float maxNorm = 0.05f + random.nextFloat() * 10f;
                float norm = GradientClipping.clipGradNorm(grads, maxNorm).getFloat();
                float[] after = flatten(grads);
                assertEquals(norm, (float) l2(before), norm * 1e-5f);
                assertTrue(l2(after) <= maxNorm * (1 + 1e-6) + 1e-7, l2(after) + " > " + maxNorm);
                assertEquals(cosine(before, after), 1.0, 1e-6);
                if (norm + 1e-6f <= maxNorm) {
                    assertBitIdentical(after, before);
                }
            }
        }
    }

    @Test
    public void belowTheThresholdNothingChangesABit() {
        try (NDManager m = manager.newSubManager()) {
            List<NDArray> grads = randomSet(m, new Random(5));
            float[] before = flatten(grads);
            GradientClipping.clipGradNorm(grads, (float) l2(before) * 2f);
            assertBitIdentical(flatten(grads), before);
        }
    }

    @Test
    public void fp16GradientsAreMeasuredInFp32() {
        try (NDManager m = manager.newSubManager()) {
            // 300^2 * 4 = 360000 overflows float16 (max 65504) if squared in float16.
            NDArray g = m.full(new Shape(4), 300f).toType(DataType.FLOAT16, false);
            NDArray norm = GradientClipping.clipGradNorm(List.of(g), 60f);
            assertEquals(norm.getDataType(), DataType.FLOAT32);
            assertEquals(norm.getFloat(), 600f);
            assertEquals(g.getDataType(), DataType.FLOAT16);
            // 300 * 60 / 600 = 30, exactly representable in float16.
            for (float v : g.toType(DataType.FLOAT32, false).toFloatArray()) {
                assertEquals(v, 30f, 0.02f);
            }
        }
    }

    @Test
    public void errorIfNonFiniteLeavesGradientsUntouched() {
        try (NDManager m = manager.newSubManager()) {
            NDArray a = m.create(new float[] {1f, Float.NaN});
            NDArray b = m.create(new float[] {2f});
            NonFiniteGradientException e =
                    org.testng.Assert.expectThrows(
                            NonFiniteGradientException.class,
                            () -> GradientClipping.clipGradNorm(List.of(a, b), 1f, 2f, true));
            assertTrue(e.getMessage().contains("NaN"), e.getMessage());
            assertEquals(b.toFloatArray(), new float[] {2f});
        }
    }

    @Test
    public void nonFiniteNormPropagatesWithoutTheCheck() {
        try (NDManager m = manager.newSubManager()) {
            NDArray a = m.create(new float[] {1f, Float.POSITIVE_INFINITY});
            NDArray b = m.create(new float[] {2f});
            float norm = GradientClipping.clipGradNorm(List.of(a, b), 1f).getFloat();
            assertEquals(norm, Float.POSITIVE_INFINITY);
            // coef = 1 / (inf + 1e-6) = 0, and 2 * 0 = 0, as in PyTorch.
            assertEquals(b.toFloatArray(), new float[] {0f});
        }
    }

    @Test
    public void clipGradValueClampsEachElement() {
        try (NDManager m = manager.newSubManager()) {
            NDArray a = m.create(new float[] {-3f, 0.2f, 0.7f});
            GradientClipping.clipGradValue(List.of(a), 0.5f);
            assertEquals(a.toFloatArray(), new float[] {-0.5f, 0.2f, 0.5f});
        }
    }

    @Test
    public void intermediatesAreFreedAndTheNormSurvives() {
        try (NDManager m = manager.newSubManager()) {
            List<NDArray> grads = randomSet(m, new Random(3));
            int before = m.getManagedArrays().size();
            NDArray norm = GradientClipping.clipGradNorm(grads, 0.1f);
            assertEquals(m.getManagedArrays().size(), before + 1);
            assertFalse(norm.isReleased());
            for (NDArray g : grads) {
                assertEquals(g.getManager(), m);
            }
        }
    }

    /**
     * A null in the list is refused by index, before anything is clipped. Gradients on two devices
     * are {@link DeviceMismatchTest}'s subject, gradients of two engines the integration tests'.
     */
    @Test
    public void aNullGradientIsRejectedByIndex() {
        try (NDManager m = manager.newSubManager()) {
            NDArray a = m.create(new float[] {3f});
            NDArray b = m.create(new float[] {4f});
            List<NDArray> withNull = new ArrayList<>();
            withNull.add(a);
            withNull.add(null);
            IllegalArgumentException e =
                    expectThrows(
                            IllegalArgumentException.class,
                            () -> GradientClipping.clipGradNorm(withNull, 1f));
            assertTrue(e.getMessage().contains("grads[1] is null"), e.getMessage());
            assertEquals(a.toFloatArray(), new float[] {3f}, "nothing clipped");
            // The same gradients without the null: ||(3, 4)|| = 5.
            assertEquals(GradientClipping.clipGradNorm(List.of(a, b), 1f).getFloat(), 5f);
        }
    }

    @Test
    public void observeOnlyNeverChangesABit() {
        try (NDManager m = manager.newSubManager()) {
            List<NDArray> grads = randomSet(m, new Random(9));
            float[] before = flatten(grads);
            ClipOutcome outcome =
                    ClipStrategy.observeOnly()
                            .apply(
                                    ClipContext.of(
                                            io.gradguard.spi.GradientOps.generic(), grads, 0));
            assertBitIdentical(flatten(grads), before);
            assertEquals(outcome.totalNorm().getFloat(), (float) l2(before), 1e-4f);
            assertEquals(outcome.coefficient().getFloat(), 1f);
            assertEquals(outcome.clipped().getFloat(), 0f);
        }
    }

    @Test
    public void perParameterNormClipsEachTensorAlone() {
        try (NDManager m = manager.newSubManager()) {
            NDArray a = m.create(new float[] {3f, 4f}); // norm 5, clipped to 1
            NDArray b = m.create(new float[] {0.3f, 0.4f}); // norm 0.5, untouched
            ClipOutcome outcome =
                    ClipStrategy.perParameterNorm(1f)
                            .apply(
                                    ClipContext.of(
                                            io.gradguard.spi.GradientOps.generic(),
                                            List.of(a, b),
                                            0));
            float coef = 1f / (5f + 1e-6f);
            assertEquals(a.toFloatArray(), new float[] {3f * coef, 4f * coef});
            assertEquals(b.toFloatArray(), new float[] {0.3f, 0.4f});
            assertEquals(outcome.clipped().getFloat(), 1f);
            assertEquals(outcome.coefficient().getFloat(), coef, 1e-7f);
            // sqrt(5^2 + 0.5^2) = sqrt(25.25)
            assertEquals(outcome.totalNorm().getFloat(), (float) Math.sqrt(25.25), 1e-5f);
        }
    }

    @Test
    public void valueStrategyReportsWhetherItClamped() {
        try (NDManager m = manager.newSubManager()) {
            NDArray a = m.create(new float[] {-3f, 0.2f});
            ClipOutcome outcome =
                    ClipStrategy.value(1f)
                            .apply(
                                    ClipContext.of(
                                            io.gradguard.spi.GradientOps.generic(), List.of(a), 0));
            assertEquals(a.toFloatArray(), new float[] {-1f, 0.2f});
            assertEquals(outcome.clipped().getFloat(), 1f);
            assertEquals(outcome.totalNorm().getFloat(), (float) Math.sqrt(9.04), 1e-6f);
        }
    }

    private static List<NDArray> randomSet(NDManager m, Random random) {
        int count = 1 + random.nextInt(6);
        List<NDArray> grads = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            int size = 1 + random.nextInt(50);
            float[] values = new float[size];
            float scale = (float) Math.pow(10, random.nextInt(5) - 2);
            for (int j = 0; j < size; j++) {
                values[j] = (float) random.nextGaussian() * scale;
            }
            grads.add(m.create(values));
        }
        return grads;
    }

    private static float[] flatten(List<NDArray> grads) {
        int total = 0;
        for (NDArray g : grads) {
            total += (int) g.size();
        }
        float[] out = new float[total];
        int offset = 0;
        for (NDArray g : grads) {
            float[] v = g.toFloatArray();
            System.arraycopy(v, 0, out, offset, v.length);
            offset += v.length;
        }
        return out;
    }

    private static double l2(float[] v) {
        double s = 0;
        for (float x : v) {
            s += (double) x * x;
        }
        return Math.sqrt(s);
    }

    private static double cosine(float[] a, float[] b) {
        double dot = 0;
        for (int i = 0; i < a.length; i++) {
            dot += (double) a[i] * b[i];
        }
        return dot / (l2(a) * l2(b));
    }

    private static void assertBitIdentical(float[] actual, float[] expected) {
        assertEquals(actual.length, expected.length);
        for (int i = 0; i < actual.length; i++) {
            assertEquals(Float.floatToRawIntBits(actual[i]), Float.floatToRawIntBits(expected[i]));
        }
    }
}
