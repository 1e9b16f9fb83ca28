package io.gradguard.clip;

import static org.testng.Assert.assertEquals;
import static org.testng.Assert.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.testng.annotations.Test;

/**
 * ZClip against the vectors of {@code
 * test-kit/src/main/resources/io/gradguard/testkit/vectors/zclip_vectors.py} (plain Python
 * following the paper's reference code), fed through real arrays on the PyTorch engine.
 */
public class ZClipVectorTest extends PyTorchArrays {

    @Test
    public void matchesTheReferenceVectors() throws IOException {
        JsonArray cases = load().getAsJsonArray("cases");
        // The generator's main(): "small" with 16 hand-written norms, "defaults" with 60.
        Map<String, Integer> stepsPerCase = Map.of("small", 16, "defaults", 60);
        assertEquals(cases.size(), stepsPerCase.size());
        for (JsonElement element : cases) {
            JsonObject c = element.getAsJsonObject();
            String name = c.get("name").getAsString();
            assertEquals(
                    Integer.valueOf(c.getAsJsonArray("steps").size()),
                    stepsPerCase.get(name),
                    name + " steps");
            StatefulClipStrategy zclip =
                    ClipStrategy.zClip(
                            number(c.get("maxNorm")),
                            c.get("alpha").getAsFloat(),
                            c.get("zThreshold").getAsFloat(),
                            c.get("warmupSteps").getAsInt());
            JsonArray steps = c.getAsJsonArray("steps");
            int clippedSteps = 0;
            for (int i = 0; i < steps.size(); i++) {
                JsonObject s = steps.get(i).getAsJsonObject();
                String where = name + " step " + i;
                float norm = number(s.get("norm"));
                float[] coef = new float[1];
                float out = AdaptiveStrategiesTest.applyToNorm(manager, zclip, norm, coef);
                assertEquals(zclip.threshold(), number(s.get("threshold")), where);
                float expectedCoef = number(s.get("coefficient"));
                assertEquals(Float.valueOf(coef[0]), Float.valueOf(expectedCoef), where);
                if (Float.isFinite(norm)) {
                    assertEquals(out, norm * expectedCoef, Math.abs(norm) * 1e-6f, where);
                }
                Map<String, Object> state = zclip.state();
                assertEquals(state.get("initialized"), s.get("initialized").getAsBoolean(), where);
                assertEquals((double) state.get("mean"), s.get("mean").getAsDouble(), 1e-12, where);
                assertEquals(
                        (double) state.get("variance"),
                        s.get("variance").getAsDouble(),
                        1e-12,
                        where);
                clippedSteps += s.get("clipped").getAsBoolean() ? 1 : 0;
            }
            assertTrue(clippedSteps >= 2, name + " exercises clipping");
        }
    }

    @Test
    public void stateRoundTripsMidRun() throws IOException {
        JsonObject c = load().getAsJsonArray("cases").get(0).getAsJsonObject();
        JsonArray steps = c.getAsJsonArray("steps");
        StatefulClipStrategy first = ClipStrategy.zClip(4f, 0.9f, 2f, 5);
        StatefulClipStrategy resumed = ClipStrategy.zClip(4f, 0.9f, 2f, 5);
        for (int i = 0; i < steps.size(); i++) {
            if (i == 3 || i == 8) {
                resumed.restore(first.state());
            }
            float norm = number(steps.get(i).getAsJsonObject().get("norm"));
            AdaptiveStrategiesTest.applyToNorm(manager, first, norm, null);
            if (i >= 3) {
                AdaptiveStrategiesTest.applyToNorm(manager, resumed, norm, null);
                assertEquals(resumed.threshold(), first.threshold(), "step " + i);
            }
        }
        assertEquals(resumed.state().get("mean"), first.state().get("mean"));
    }

    private static float number(JsonElement e) {
        return e.getAsJsonPrimitive().isString()
                ? Float.parseFloat(e.getAsString())
                : e.getAsFloat();
    }

    private static JsonObject load() throws IOException {
        try (InputStream in =
                ZClipVectorTest.class.getResourceAsStream("/vectors/zclip_vectors.json")) {
            if (in == null) {
                throw new IOException(
                        "vectors/zclip_vectors.json is missing from the test class path");
            }
            return JsonParser.parseReader(new InputStreamReader(in, StandardCharsets.UTF_8))
                    .getAsJsonObject();
        }
    }
}
