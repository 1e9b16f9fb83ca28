package io.gradguard.examples.finetune;

import static org.testng.Assert.assertEquals;
import static org.testng.Assert.assertTrue;

import io.gradguard.StepReport;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.testng.annotations.DataProvider;
import org.testng.annotations.Test;

/**
 * A fine-tuning run preempted after step 10 (between checkpoints, in the second unfreezing phase)
 * and resumed in a new model, trainer and guard from its last checkpoint (step 8) ends bit for bit
 * where the uninterrupted run ends: every parameter, every float32 master, and the step reports of
 * the replayed steps (norm, coefficient, loss scale, skip) and their losses.
 *
 * <p>Plain SGD keeps no optimizer state, so DJL's {@code model.save} and the guard's {@code
 * saveState} hold everything (float32 runs; a float16 run's masters are state too). AdamW's moments
 * and update counts, and float16 masters, must be restored by the guard's {@code loadState}.
 *
 * <p>The preempted run's steps must also equal the uninterrupted run's first steps: a difference
 * there is non-determinism, not a resume problem. DJL 0.35.1's AdamW is not deterministic under
 * gradual unfreezing: {@code Optimizer.updateCount} returns the running maximum of all update
 * counts, and the parameter store updates parameters in the iteration order of a hash map keyed by
 * per-process ids, so the bias-correction step of a newly unfrozen parameter depends on that order.
 */
public class FineTuneResumeTest {

    private static final int STOP_AFTER = 10;

    @DataProvider
    public Object[][] stateless() {
        return new Object[][] {{"PyTorch"}, {"MXNet"}};
    }

    @Test(dataProvider = "stateless")
    public void sgdFloat32ResumesBitIdentical(String engine) throws IOException {
        assertResumeIsBitIdentical(engine, false, false);
    }

    @Test
    public void adamWFloat16OnPyTorchResumesBitIdentical() throws IOException {
        assertResumeIsBitIdentical("PyTorch", true, true);
    }

    @Test
    public void adamWFloat32OnMxNetResumesBitIdentical() throws IOException {
        assertResumeIsBitIdentical("MXNet", false, true);
    }

    private static void assertResumeIsBitIdentical(String engine, boolean float16, boolean adamW)
            throws IOException {
        Path whole = FineTuneRuns.tempDir("gradguard-finetune-whole");
        Path preempted = FineTuneRuns.tempDir("gradguard-finetune-preempted");
        try {
            FineTuneResult uninterrupted =
                    FineTuneRuns.run(
                            FineTuneRuns.settings(engine, float16, adamW, whole, 0, false), null);
            FineTuneResult first =
                    FineTuneRuns.run(
                            FineTuneRuns.settings(
                                    engine, float16, adamW, preempted, STOP_AFTER, false),
                            null);
            assertEquals(first.endStep(), STOP_AFTER);
            String what0 =
                    engine + (float16 ? " float16" : " float32") + (adamW ? " AdamW" : " SGD");
            assertSameSteps(
                    first.steps(),
                    uninterrupted.steps().subList(0, STOP_AFTER),
                    what0 + " before the preemption");
            FineTuneResult resumed =
                    FineTuneRuns.run(
                            FineTuneRuns.settings(engine, float16, adamW, preempted, 0, true),
                            null);
            long checkpoint =
                    STOP_AFTER / FineTuneRuns.CHECKPOINT_EVERY * FineTuneRuns.CHECKPOINT_EVERY;
            assertEquals(resumed.firstStep(), checkpoint, "resumed from the last checkpoint");
            assertEquals(resumed.endStep(), uninterrupted.endStep());
            String what =
                    engine + (float16 ? " float16" : " float32") + (adamW ? " AdamW" : " SGD");
            assertSameSteps(
                    resumed.steps(),
                    uninterrupted.steps().subList((int) checkpoint, uninterrupted.steps().size()),
                    what);
            assertSameState(resumed.finalState(), uninterrupted.finalState(), what);
        } finally {
            FineTuneRuns.deleteTree(whole);
            FineTuneRuns.deleteTree(preempted);
        }
    }

    private static void assertSameSteps(
            List<StepRecord> actual, List<StepRecord> expected, String what) {
        assertEquals(actual.size(), expected.size(), what + " steps");
        for (int i = 0; i < actual.size(); i++) {
            StepReport a = actual.get(i).report();
            StepReport e = expected.get(i).report();
            String step = what + " step " + e.step();
            assertEquals(a.step(), e.step(), step);
            assertEquals(actual.get(i).phase(), expected.get(i).phase(), step);
            assertEquals(bits(a.totalNorm()), bits(e.totalNorm()), step + " norm");
            assertEquals(bits(a.coefficient()), bits(e.coefficient()), step + " coefficient");
            assertEquals(bits(a.lossScale()), bits(e.lossScale()), step + " loss scale");
            assertEquals(a.skipped(), e.skipped(), step + " skipped");
            assertEquals(bits(actual.get(i).loss()), bits(expected.get(i).loss()), step + " loss");
        }
    }

    private static void assertSameState(
            Map<String, float[]> actual, Map<String, float[]> expected, String what) {
        assertEquals(actual.keySet(), expected.keySet(), what + " parameters and masters");
        assertTrue(expected.size() >= 8, what + ": " + expected.keySet());
        for (Map.Entry<String, float[]> e : expected.entrySet()) {
            float[] a = actual.get(e.getKey());
            assertEquals(a.length, e.getValue().length, what + " " + e.getKey());
            for (int i = 0; i < a.length; i++) {
                assertEquals(
                        bits(a[i]),
                        bits(e.getValue()[i]),
                        what
                                + " "
                                + e.getKey()
                                + "["
                                + i
                                + "]: "
                                + a[i]
                                + " vs "
                                + e.getValue()[i]);
            }
        }
    }

    private static int bits(float value) {
        return Float.floatToRawIntBits(value);
    }
}
