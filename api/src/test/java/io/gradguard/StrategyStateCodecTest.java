package io.gradguard;

import static org.testng.Assert.assertEquals;
import static org.testng.Assert.assertTrue;
import static org.testng.Assert.expectThrows;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import io.gradguard.clip.AdaptiveStrategiesTest;
import io.gradguard.clip.ClipStrategy;
import io.gradguard.clip.StatefulClipStrategy;
import java.util.LinkedHashMap;
import java.util.Map;
import org.testng.annotations.Test;

/** Strategy state survives the text round trip exactly, type by type. */
public class StrategyStateCodecTest {

    @Test
    public void everyTypeRoundTripsExactly() {
        Map<String, Object> state = new LinkedHashMap<>();
        state.put("strategy", "autoClip");
        state.put("on", true);
        state.put("count", 7);
        state.put("steps", 1L << 40);
        state.put("threshold", 0.1f);
        state.put("mean", Math.PI);
        state.put("history", new double[] {1e-300, 0.1, 3.0, Double.MAX_VALUE});
        state.put("empty", new double[0]);
        Map<String, Object> back = StrategyStateCodec.decode(StrategyStateCodec.encode(state));
        assertEquals(back.keySet(), state.keySet());
        for (String key : state.keySet()) {
            if (state.get(key) instanceof double[] expected) {
                assertEquals((double[]) back.get(key), expected, key);
            } else {
                assertEquals(back.get(key), state.get(key), key);
            }
        }
    }

    @Test
    public void autoClipStateSurvivesTheCodec() {
        StatefulClipStrategy auto = ClipStrategy.autoClip(50f, 8);
        try (NDManager manager = NDManager.newBaseManager(Device.cpu(), "PyTorch")) {
            // Ten norms into a history of 8: the first two fall out, leaving
            // [3, 10, 2, 7, 4, 9, 6, 8], whose median (linear, h = 7 * 0.5 = 3.5 in the sorted
            // 2, 3, 4, 6, 7, 8, 9, 10) is 6.5.
            for (float norm : new float[] {5f, 1f, 3f, 10f, 2f, 7f, 4f, 9f, 6f, 8f}) {
                AdaptiveStrategiesTest.applyToNorm(manager, auto, norm, null);
            }
            assertEquals(auto.threshold(), 6.5f);
            Map<String, Object> state = auto.state();
            StatefulClipStrategy copy = ClipStrategy.autoClip(50f, 8);
            copy.restore(StrategyStateCodec.decode(StrategyStateCodec.encode(state)));
            assertEquals(copy.state().keySet(), state.keySet());
            assertEquals((double[]) copy.state().get("history"), (double[]) state.get("history"));
            assertEquals(copy.threshold(), 6.5f);

            // The next norm, 20, pushes out 3: sorted 2, 4, 6, 7, 8, 9, 10, 20, median 7.5. A
            // strategy that lost its history would use 20 alone and not clip.
            float[] originalCoef = new float[1];
            float[] copyCoef = new float[1];
            float original = AdaptiveStrategiesTest.applyToNorm(manager, auto, 20f, originalCoef);
            float restored = AdaptiveStrategiesTest.applyToNorm(manager, copy, 20f, copyCoef);
            assertEquals(auto.threshold(), 7.5f);
            assertEquals(copy.threshold(), 7.5f);
            assertEquals(
                    Float.floatToRawIntBits(copyCoef[0]), Float.floatToRawIntBits(originalCoef[0]));
            assertEquals(Float.floatToRawIntBits(restored), Float.floatToRawIntBits(original));
            assertEquals(original, 20f * (7.5f / (20f + 1e-6f)), 1e-5f);
        }
    }

    @Test
    public void malformedValuesNameTheirKey() {
        IllegalArgumentException e =
                expectThrows(
                        IllegalArgumentException.class,
                        () -> StrategyStateCodec.decode(Map.of("history", "D:1.0,x")));
        assertTrue(e.getMessage().contains("history"), e.getMessage());
        e =
                expectThrows(
                        IllegalArgumentException.class,
                        () -> StrategyStateCodec.decode(Map.of("count", "7")));
        assertTrue(e.getMessage().contains("count"), e.getMessage());
    }
}
