package io.gradguard.observe;

import static org.testng.Assert.assertEquals;
import static org.testng.Assert.assertFalse;
import static org.testng.Assert.assertTrue;

import io.gradguard.event.AlertEvent;
import io.gradguard.event.GuardEventPublisher;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import org.testng.annotations.Test;

/** Spike detection, attribution to parameters and examples, and the cause classification. */
public class SpikeForensicsTest {

    private static final List<String> NAMES = List.of("layer1_w", "layer2_w", "out_w");
    private static final long BAD = 17L;

    /** Epoch 0: batch b holds 4((b + 26) mod 40) + j; epoch 1: batch b holds b + 40 j. */
    private static List<Long> batch(int epoch, int b) {
        List<Long> indices = new ArrayList<>();
        for (int j = 0; j < 4; j++) {
            indices.add(epoch == 0 ? 4L * ((b + 26) % 40) + j : b + 40L * j);
        }
        return indices;
    }

    @Test
    public void attributesAPlantedBadExampleAcrossTwoEpochsAndCallsItData() {
        List<AlertEvent> alerts = new ArrayList<>();
        SpikeForensics forensics =
                SpikeForensics.builder()
                        .optWarmup(10)
                        .optTopK(2)
                        .optPublisher(new GuardEventPublisher().onAlert(alerts::add))
                        .build();
        List<FakeDetails> spikeDetails = new ArrayList<>();
        long step = 0;
        for (int epoch = 0; epoch < 2; epoch++) {
            for (int b = 0; b < 40; b++, step++) {
                List<Long> indices = batch(epoch, b);
                boolean bad = indices.contains(BAD);
                // Usual norms 1.00 .. 1.09; the bad example's batch has norm 500.
                float norm = bad ? 500f : 1f + (step % 10) / 100f;
                FakeDetails details =
                        new FakeDetails(
                                NAMES,
                                bad ? new float[] {0.5f, 499f, 3f} : new float[] {0.5f, 0.6f, 0.7f},
                                indices);
                if (bad) {
                    spikeDetails.add(details);
                }
                forensics.onStep(FakeDetails.report(step, epoch, b, norm, false), details);
                if (!bad) {
                    assertEquals(details.normReads, 0, "norms are read on spikes only");
                }
            }
        }
        forensics.onTrainingEnd();
        SpikeSummary summary = forensics.summary();
        // 17 = 4 * 4 + 1: epoch 0 batch (b + 26) mod 40 = 4 -> b = 18 (step 18);
        // epoch 1 batch 17 (17 + 40 j) -> step 40 + 17 = 57.
        assertEquals(summary.spikeCount(), 2);
        Spike first = summary.spikes().get(0);
        Spike second = summary.spikes().get(1);
        assertEquals(first.step(), 18);
        assertEquals(first.epoch(), 0);
        assertEquals(first.batchIndex(), 18);
        assertEquals(first.datasetIndices(), List.of(16L, 17L, 18L, 19L));
        assertEquals(second.step(), 57);
        assertEquals(second.epoch(), 1);
        assertEquals(second.datasetIndices(), List.of(17L, 57L, 97L, 137L));
        assertEquals(
                first.topParameters(),
                List.of(new ParameterNorm("layer2_w", 499f), new ParameterNorm("out_w", 3f)));
        assertEquals(spikeDetails.get(0).normReads, 1);
        assertEquals(summary.recurringIndices(), List.of(BAD));
        assertEquals(summary.causes(), EnumSet.of(SpikeCause.DATA));
        assertTrue(summary.report().contains("DATA"), summary.report());
        assertTrue(summary.report().contains("filter the offending examples"), summary.report());
        // One SPIKE alert per spike and one RECURRING_SPIKE alert at the second.
        assertEquals(
                alerts.stream().map(AlertEvent::kind).toList(),
                List.of(
                        AlertEvent.Kind.SPIKE,
                        AlertEvent.Kind.SPIKE,
                        AlertEvent.Kind.RECURRING_SPIKE));
        assertEquals(alerts.get(2).step(), 57);
        assertTrue(alerts.get(2).message().contains("[17]"), alerts.get(2).message());
        // The limit is 10 x p99 of the usual norms (at most 1.09), so between 10 and 10.9.
        assertTrue(first.limit() >= 10f && first.limit() <= 10.9f, "limit " + first.limit());
    }

    @Test
    public void noDistributionVerdictDuringWarmupButNonFiniteAlwaysCounts() {
        SpikeForensics forensics = SpikeForensics.builder().optWarmup(5).build();
        float[] norms = {1f, 100f, 1f, 1f, 1f, 1f, 1f, 50f};
        for (int i = 0; i < norms.length; i++) {
            forensics.onStep(FakeDetails.report(i, 0, i, norms[i], false), FakeDetails.none());
        }
        forensics.onStep(FakeDetails.overflow(8, 0, 8, 65536f), FakeDetails.none());
        SpikeSummary summary = forensics.summary();
        // Step 1 (100) is in the warm-up, so it is no spike and stays in the window. At step 7
        // the window is [1, 100, 1, 1, 1, 1, 1]: h = 6 * 0.99 = 5.94, p99 = 100 - 0.06 * 99 =
        // 94.06, limit 940.6, so 50 is no spike either. The NaN at step 8 is one.
        assertEquals(summary.spikes().stream().map(Spike::step).toList(), List.of(8L));
        assertTrue(summary.spikes().get(0).nonFinite());
        assertEquals(summary.nonFiniteSpikes(), 1);
        assertTrue(summary.causes().contains(SpikeCause.NUMERICS));
    }

    @Test
    public void growingFrequencyIsLearningRate() {
        // 300 steps: thirds [0, 100), [100, 200), [200, 300): a = 0, b = 1, c = 3.
        SpikeSummary s = classify(300, new long[] {150, 210, 250, 280}, 0);
        assertEquals(s.causes(), EnumSet.of(SpikeCause.LEARNING_RATE));
    }

    @Test
    public void mostlyNonFiniteIsNumerics() {
        SpikeSummary s = classify(300, new long[] {120, 130, 140}, 2);
        assertEquals(s.causes(), EnumSet.of(SpikeCause.NUMERICS));
    }

    @Test
    public void earlyAndEvenIsConditioning() {
        // a = 2 (5, 50), b = 2 (120, 180), c = 2 (220, 290); 5 is in the first 10% (30 steps).
        SpikeSummary s = classify(300, new long[] {5, 50, 120, 180, 220, 290}, 0);
        assertEquals(s.causes(), EnumSet.of(SpikeCause.CONDITIONING));
        // Without the early spike the same spread is no verdict.
        SpikeSummary late = classify(300, new long[] {40, 50, 120, 180, 220, 290}, 0);
        assertTrue(late.causes().isEmpty(), late.report());
        assertTrue(late.report().contains("no rule matched"), late.report());
    }

    @Test
    public void noSpikesNoCauses() {
        SpikeSummary s = classify(100, new long[0], 0);
        assertTrue(s.causes().isEmpty());
        assertFalse(s.report().contains("no rule matched"));
    }

    @Test
    public void badOptionsNameTheOptionAndValue() {
        ObserveAssertions.expectMessage(() -> SpikeForensics.builder().optWarmup(0), "warmup", "0");
        ObserveAssertions.expectMessage(
                () -> SpikeForensics.builder().optFactor(0.5), "factor", "0.5");
        ObserveAssertions.expectMessage(
                () -> SpikeForensics.builder().optPercentile(0), "percentile", "0.0");
        ObserveAssertions.expectMessage(
                () -> SpikeForensics.builder().optWindow(-1), "window", "-1");
        ObserveAssertions.expectMessage(() -> SpikeForensics.builder().optTopK(-2), "topK", "-2");
        ObserveAssertions.expectMessage(
                () -> SpikeForensics.builder().optMaxSpikes(0), "maxSpikes", "0");
    }

    private static SpikeSummary classify(long steps, long[] spikeSteps, int nonFinite) {
        return SpikeSummary.classify(
                steps, spikeSteps, spikeSteps.length, nonFinite, List.of(), List.of());
    }
}
