package io.gradguard;

import static org.testng.Assert.assertEquals;
import static org.testng.Assert.assertTrue;
import static org.testng.Assert.expectThrows;

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
        Map<String, Object> state = auto.state();
        StatefulClipStrategy copy = ClipStrategy.autoClip(50f, 8);
        copy.restore(StrategyStateCodec.decode(StrategyStateCodec.encode(state)));
        assertEquals(copy.state().keySet(), state.keySet());
        assertEquals(copy.threshold(), auto.threshold());
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
