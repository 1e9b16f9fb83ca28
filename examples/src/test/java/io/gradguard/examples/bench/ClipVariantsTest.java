package io.gradguard.examples.bench;

import static org.testng.Assert.assertEquals;

import ai.djl.engine.Engine;
import io.gradguard.spi.GradientOps;
import java.util.LinkedHashMap;
import java.util.Map;
import org.testng.annotations.DataProvider;
import org.testng.annotations.Test;

/**
 * Every variant the benchmark times computes the same clip, {@code clip_grad_norm_}'s {@code g *
 * min(1, maxNorm / (||g|| + 1e-6))}, checked against a double-precision reference on the host; so
 * the table compares equal work.
 */
public class ClipVariantsTest {

    /**
     * Supplies test parameters.
     *
     * @return the engines
     */
    @DataProvider
    public Object[][] engines() {
        return new Object[][] {{"PyTorch"}, {"MXNet"}};
    }

    /**
     * Naive, generic, fused, the one-call clip in one and three calls, and the floor all leave the
     * reference values.
     *
     * @param engine the engine
     */
    @Test(dataProvider = "engines")
    public void everyVariantClipsAlike(String engine) {
        GradientSet set = GradientSet.parseUniform("5x777");
        try (ClipTimer timer = new ClipTimer(engine, set, 3)) {
            float maxNorm = timer.maxNorm();
            float[] before = timer.pristineValues();
            double sum = 0;
            for (float v : before) {
                sum += (double) v * v;
            }
            double coef = Math.min(1, maxNorm / (Math.sqrt(sum) + 1e-6));
            assertEquals(coef, 0.5, 1e-5, "the bound is half the norm");

            GradientOps fused = GradientOps.forEngine(Engine.getEngine(engine));
            Map<String, float[]> results = new LinkedHashMap<>();
            results.put("naive", timer.clipOnce(ClipVariants.naive(maxNorm), false));
            results.put(
                    "generic",
                    timer.clipOnce(ClipVariants.strategy(GradientOps.generic(), maxNorm), false));
            results.put("fused", timer.clipOnce(ClipVariants.strategy(fused, maxNorm), false));
            results.put(
                    "three calls",
                    timer.clipOnce(ClipVariants.strategy(new ThreeCallOps(fused), maxNorm), false));
            results.put("floor", timer.clipOnce(ClipVariants.floor(timer.floorConstants()), true));
            for (Map.Entry<String, float[]> r : results.entrySet()) {
                float[] after = r.getValue();
                assertEquals(after.length, before.length, r.getKey());
                for (int i = 0; i < before.length; i++) {
                    double expected = before[i] * coef;
                    assertEquals(
                            after[i],
                            expected,
                            Math.abs(expected) * 1e-5 + 1e-12,
                            r.getKey() + " element " + i);
                }
            }
        }
    }
}
