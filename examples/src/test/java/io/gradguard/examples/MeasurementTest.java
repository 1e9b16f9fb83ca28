package io.gradguard.examples;

import static org.testng.Assert.assertEquals;
import static org.testng.Assert.assertTrue;

import io.gradguard.clip.ClipStrategy;
import org.testng.annotations.Test;

/** The measure phase observes its full count of finite norms, in float32 and in float16. */
public class MeasurementTest {

    /**
     * 640 users, 512 of them training users, in batches of 32: 16 steps per epoch. In float16 the
     * first steps overflow at the initial scale of 65,536 and are skipped without a finite norm, so
     * 16 steps (one epoch) would leave the phase short; it must still observe all 16.
     */
    @Test
    public void float16OverflowStepsDoNotLeaveThePhaseShort() throws Exception {
        ChurnData data = ChurnDataGenerator.generate(ChurnDataSpec.of(640, 30, 0.01, 5));
        for (boolean float16 : new boolean[] {false, true}) {
            RunSettings base =
                    new RunSettings(
                            "PyTorch",
                            "unguarded",
                            ClipStrategy.observeOnly(),
                            OptimizerChoice.SGD,
                            OptimizerChoice.SGD.defaultLearningRate(),
                            1,
                            32,
                            16,
                            1,
                            0f,
                            float16,
                            1,
                            false,
                            5);
            Measurement m = Measurement.run(base, data, 16, RunHooks.quiet());
            assertEquals(m.steps(), 16, "float16=" + float16);
            assertTrue(m.recommendation() > 0f, "float16=" + float16);
            assertTrue(m.distribution().p50() <= m.recommendation(), "float16=" + float16);
        }
    }
}
