package io.gradguard.clip;

import static org.testng.Assert.assertEquals;
import static org.testng.Assert.assertFalse;
import static org.testng.Assert.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.gradguard.spi.GradientOps;
import java.util.List;
import java.util.Map;
import org.testng.annotations.Test;

/** AutoClip, AGC and calibration on the PyTorch engine, against hand-worked vectors. */
public class AdaptiveStrategiesTest extends PyTorchArrays {

    /** Applies a strategy to a one-element gradient {@code [norm]}; returns the clipped value. */
    public static float applyToNorm(
            NDManager parent, ClipStrategy strategy, float norm, float[] coefficientOut) {
        try (NDManager m = parent.newSubManager()) {
            NDArray grad = m.create(new float[] {norm});
            ClipOutcome outcome =
                    strategy.apply(ClipContext.of(GradientOps.generic(), List.of(grad), 0));
            assertEquals(
                    Float.valueOf(outcome.totalNorm().getFloat()), Float.valueOf(Math.abs(norm)));
            if (coefficientOut != null) {
                coefficientOut[0] = outcome.coefficient().getFloat();
            }
            return grad.getFloat();
        }
    }

    @Test
    public void autoClipFollowsThePercentileOfTheHistory() {
        StatefulClipStrategy p10 = ClipStrategy.autoClip();
        // History after each step and its p10 (numpy linear: h = (n - 1) * 0.1):
        // [5] -> 5; [5,1] -> 1 + 0.1*4 = 1.4; [5,1,3] -> 1 + 0.2*2 = 1.4;
        // [5,1,3,10] -> 1 + 0.3*2 = 1.6; [5,1,3,10,2] -> sorted 1,2,3,5,10: 1 + 0.4*1 = 1.4.
        float[] norms = {5f, 1f, 3f, 10f, 2f};
        float[] thresholds = {5f, 1.4f, 1.4f, 1.6f, 1.4f};
        for (int i = 0; i < norms.length; i++) {
            float[] coef = new float[1];
            float clipped = applyToNorm(manager, p10, norms[i], coef);
            assertEquals(p10.threshold(), thresholds[i], 1e-6f, "threshold at step " + i);
            float expected = Math.min(1f, p10.threshold() / (norms[i] + 1e-6f));
            assertEquals(coef[0], expected, "coefficient at step " + i);
            assertEquals(clipped, norms[i] * expected, 1e-6f);
        }
        StatefulClipStrategy p50 = ClipStrategy.autoClip(50f);
        for (float n : norms) {
            applyToNorm(manager, p50, n, null);
        }
        // Median of [1, 2, 3, 5, 10] = 3.0 exactly.
        assertEquals(p50.threshold(), 3.0f);
    }

    @Test
    public void autoClipHistoryIsCapped() {
        StatefulClipStrategy capped = ClipStrategy.autoClip(50f, 3);
        for (float n : new float[] {5f, 1f, 3f, 10f}) {
            applyToNorm(manager, capped, n, null);
        }
        // The last three norms are [1, 3, 10]; their median is 3.
        assertEquals(capped.threshold(), 3f);
        assertEquals((double[]) capped.state().get("history"), new double[] {1, 3, 10});
    }

    @Test
    public void autoClipStateRoundTrips() {
        StatefulClipStrategy first = ClipStrategy.autoClip(50f);
        for (float n : new float[] {5f, 1f, 3f}) {
            applyToNorm(manager, first, n, null);
        }
        Map<String, Object> saved = first.state();
        StatefulClipStrategy resumed = ClipStrategy.autoClip(50f);
        resumed.restore(saved);
        applyToNorm(manager, first, 10f, null);
        applyToNorm(manager, resumed, 10f, null);
        assertEquals(resumed.threshold(), first.threshold());
        assertEquals(resumed.threshold(), 4f); // median of [1, 3, 5, 10] = (3 + 5) / 2
        IllegalArgumentException e =
                org.testng.Assert.expectThrows(
                        IllegalArgumentException.class,
                        () -> ClipStrategy.autoClip(10f).restore(saved));
        assertTrue(e.getMessage().contains("percentile"), e.getMessage());
        e =
                org.testng.Assert.expectThrows(
                        IllegalArgumentException.class,
                        () -> ClipStrategy.zClip(1f).restore(saved));
        assertTrue(e.getMessage().contains("autoClip"), e.getMessage());
    }

    @Test
    public void autoClipRespectsTheMultiplier() {
        StatefulClipStrategy auto = ClipStrategy.autoClip(50f);
        try (NDManager m = manager.newSubManager()) {
            NDArray grad = m.create(new float[] {8f});
            NDArray half = m.create(0.5f);
            ClipOutcome outcome =
                    auto.apply(
                            new ClipContext(
                                    GradientOps.generic(),
                                    List.of(grad),
                                    List.of(grad),
                                    List.of("w"),
                                    half,
                                    0));
            // True gradient 8 * 0.5 = 4; the first threshold is 4 itself, coef 4 / (4 + 1e-6).
            assertEquals(outcome.totalNorm().getFloat(), 4f);
            float coef = 4f / (4f + 1e-6f);
            assertEquals(grad.getFloat(), 8f * coef * 0.5f, 1e-6f);
        }
    }

    @Test
    public void agcClipsEachOutputUnit() {
        try (NDManager m = manager.newSubManager()) {
            NDArray w = m.create(new float[] {1, 0, 0, 0}, new Shape(2, 2));
            NDArray g = m.create(new float[] {0.3f, 0.4f, 0f, 0.002f}, new Shape(2, 2));
            ClipOutcome outcome =
                    ClipStrategy.agc(0.01f)
                            .apply(
                                    new ClipContext(
                                            GradientOps.generic(),
                                            List.of(g),
                                            List.of(w),
                                            List.of("w"),
                                            null,
                                            0));
            // Row 0: ||W0|| = 1, max = 0.01, ||G0|| = 0.5 -> G0 * 0.01 / 0.5 = [0.006, 0.008].
            // Row 1: ||W1|| = 0 -> max = 0.01 * 1e-3 = 1e-5, ||G1|| = 0.002 -> [0, 1e-5].
            float[] actual = g.toFloatArray();
            float[] expected = {0.006f, 0.008f, 0f, 1e-5f};
            for (int i = 0; i < expected.length; i++) {
                assertEquals(actual[i], expected[i], 1e-9f, "element " + i);
            }
            // Pre-clip total norm sqrt(0.25 + 0.002^2); smallest factor 1e-5 / 0.002 = 0.005.
            assertEquals(outcome.totalNorm().getFloat(), (float) Math.sqrt(0.25 + 4e-6), 1e-7f);
            assertEquals(outcome.coefficient().getFloat(), 0.005f, 1e-7f);
            assertEquals(outcome.clipped().getFloat(), 1f);
            assertEquals(w.toFloatArray(), new float[] {1, 0, 0, 0}, "weights untouched");
        }
    }

    @Test
    public void agcTreatsEachBiasElementAsAUnitAndHonoursTheMultiplier() {
        try (NDManager m = manager.newSubManager()) {
            NDArray w = m.create(new float[] {2f, 0f, -3f});
            NDArray g = m.create(new float[] {1f, 2e-6f, -0.01f});
            NDArray two = m.create(2f);
            ClipStrategy.agc(0.01f)
                    .apply(
                            new ClipContext(
                                    GradientOps.generic(),
                                    List.of(g),
                                    List.of(w),
                                    List.of("b"),
                                    two,
                                    0));
            // True gradient [2, 4e-6, -0.02]; limits 0.01 * max(|w|, 1e-3) = [0.02, 1e-5, 0.03].
            // Element 0: 2 > 0.02 -> 2 * 0.02 / 2 = 0.02. Element 1: 4e-6 <= 1e-5 -> unchanged.
            // Element 2: 0.02 <= 0.03 -> unchanged. Stored: the true (clipped) gradient.
            float[] actual = g.toFloatArray();
            assertEquals(actual[0], 0.02f, 1e-8f);
            assertEquals(actual[1], 4e-6f, 1e-12f);
            assertEquals(actual[2], -0.02f, 1e-8f);
        }
    }

    @Test
    public void agcLeavesSmallGradientsBitIdentical() {
        try (NDManager m = manager.newSubManager()) {
            NDArray w = m.create(new float[] {1, 2, 3, 4, 5, 6}, new Shape(2, 3));
            float[] values = {1e-4f, -2e-4f, 3e-4f, 1e-3f, 2e-3f, -1e-3f};
            NDArray g = m.create(values, new Shape(2, 3));
            ClipOutcome outcome =
                    ClipStrategy.agc()
                            .apply(
                                    new ClipContext(
                                            GradientOps.generic(),
                                            List.of(g),
                                            List.of(w),
                                            List.of("w"),
                                            null,
                                            0));
            float[] after = g.toFloatArray();
            for (int i = 0; i < values.length; i++) {
                assertEquals(Float.floatToRawIntBits(after[i]), Float.floatToRawIntBits(values[i]));
            }
            assertEquals(outcome.coefficient().getFloat(), 1f);
            assertEquals(outcome.clipped().getFloat(), 0f);
        }
    }

    @Test
    public void calibrationRecommendsThePercentileAndAdoptsIt() {
        ThresholdCalibration advisor = ClipStrategy.calibrate(10, 98f, true);
        // Norms 1..10 observed in a shuffled order; numpy.percentile(range(1, 11), 98):
        // h = 9 * 0.98 = 8.82 -> 9 + 0.82 * (10 - 9) = 9.82.
        float[] observed = {4, 9, 1, 7, 10, 2, 6, 3, 8, 5};
        for (int i = 0; i < observed.length; i++) {
            assertFalse(advisor.recommendation().isPresent(), "no advice before step " + i);
            float out = applyToNorm(manager, advisor, observed[i], null);
            assertEquals(out, observed[i], "observation never clips");
        }
        assertEquals(advisor.recommendation().orElseThrow(), 9.82f, 1e-5f);
        NormDistribution d = advisor.distribution().orElseThrow();
        assertEquals(d.count(), 10);
        assertEquals(d.min(), 1f);
        assertEquals(d.p50(), 5.5f, 1e-6f); // 1 + 4.5
        assertEquals(d.p90(), 9.1f, 1e-5f); // h = 8.1
        assertEquals(d.p99(), 9.91f, 1e-5f); // h = 8.91
        assertEquals(d.max(), 10f);
        assertEquals(advisor.threshold(), advisor.recommendation().get());
        float[] coef = new float[1];
        float out = applyToNorm(manager, advisor, 20f, coef);
        assertEquals(coef[0], 9.82f / (20f + 1e-6f), 1e-6f);
        assertEquals(out, 20f * coef[0], 1e-5f);
    }

    @Test
    public void calibrationWithoutAdoptionOnlyObservesAndSkipsNonFiniteNorms() {
        ThresholdCalibration advisor = ClipStrategy.calibrate(2);
        applyToNorm(manager, advisor, 1f, null);
        applyToNorm(manager, advisor, Float.POSITIVE_INFINITY, null);
        assertFalse(advisor.recommendation().isPresent(), "a non-finite norm does not count");
        applyToNorm(manager, advisor, 3f, null);
        // p98 of [1, 3]: 1 + 0.98 * 2 = 2.96.
        assertEquals(advisor.recommendation().orElseThrow(), 2.96f, 1e-6f);
        assertEquals(advisor.threshold(), Float.POSITIVE_INFINITY);
        assertEquals(applyToNorm(manager, advisor, 50f, null), 50f);
        ThresholdCalibration resumed = ClipStrategy.calibrate(2);
        resumed.restore(advisor.state());
        assertEquals(resumed.recommendation(), advisor.recommendation());
    }

    @Test
    public void badOptionsNameTheOptionAndValue() {
        expectMessage(() -> ClipStrategy.agc(0f), "clipFactor", "0.0");
        expectMessage(() -> ClipStrategy.agc(Float.NaN), "clipFactor", "NaN");
        expectMessage(() -> ClipStrategy.autoClip(0f), "percentile", "0.0");
        expectMessage(() -> ClipStrategy.autoClip(101f), "percentile", "101.0");
        expectMessage(() -> ClipStrategy.autoClip(10f, 0), "historySize", "0");
        expectMessage(() -> ClipStrategy.zClip(0f), "maxNorm", "0.0");
        expectMessage(() -> ClipStrategy.zClip(Float.NaN), "maxNorm", "NaN");
        expectMessage(() -> ClipStrategy.zClip(1f, 1f, 2.5f, 25), "alpha", "1.0");
        expectMessage(() -> ClipStrategy.zClip(1f, 0.97f, -1f, 25), "zThreshold", "-1.0");
        expectMessage(() -> ClipStrategy.zClip(1f, 0.97f, 2.5f, 0), "warmupSteps", "0");
        expectMessage(() -> ClipStrategy.calibrate(0), "steps", "0");
        expectMessage(() -> ClipStrategy.calibrate(10, -5f, true), "percentile", "-5.0");
    }

    public static void expectMessage(Runnable action, String name, String value) {
        IllegalArgumentException e =
                org.testng.Assert.expectThrows(IllegalArgumentException.class, action::run);
        assertTrue(e.getMessage().contains(name), e.getMessage());
        assertTrue(e.getMessage().contains(value), e.getMessage());
    }
}
