package io.gradguard.observe;

import static org.testng.Assert.assertEquals;
import static org.testng.Assert.assertFalse;
import static org.testng.Assert.assertTrue;

import io.gradguard.StepReport;
import io.gradguard.event.AlertEvent;
import io.gradguard.event.GuardEventPublisher;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.testng.annotations.Test;

/** The clip-rate alert fires once per episode, at the step where the rate crosses. */
public class ClipRateMonitorTest {

    @Test
    public void alertsOncePerEpisodeAtTheCrossingStep() {
        List<AlertEvent> alerts = new ArrayList<>();
        GuardEventPublisher publisher = new GuardEventPublisher().onAlert(alerts::add);
        ClipRateMonitor monitor =
                ClipRateMonitor.builder()
                        .optWindow(10)
                        .optThreshold(0.2)
                        .optPublisher(publisher)
                        .build();
        // Clipped steps, worked by hand with a window of 10 and "rate > 0.2" (3 or more of 10):
        //   step  9: window 0..9 holds {1, 5}            -> 0.2, no alert
        //   step 10: window 1..10 holds {1, 5, 10}       -> 0.3, alert (episode 1)
        //   step 11: {1, 5, 10, 11}                      -> 0.4, same episode, silent
        //   step 14: window 5..14 holds {5, 10, 11}      -> 0.3, still in the episode
        //   step 15: window 6..15 holds {10, 11}         -> 0.2, episode ends
        //   step 21: window 12..21 holds {20, 21}        -> 0.2, nothing
        //   step 22: window 13..22 holds {20, 21, 22}    -> 0.3, alert (episode 2)
        Set<Integer> clipped = Set.of(1, 5, 10, 11, 20, 21, 22);
        List<Long> inEpisodeAt = new ArrayList<>();
        for (int step = 0; step < 30; step++) {
            monitor.onStep(
                    FakeDetails.report(step, 0, step, 1f, clipped.contains(step)),
                    FakeDetails.none());
            if (monitor.inEpisode()) {
                inEpisodeAt.add((long) step);
            }
        }
        assertEquals(alerts.size(), 2);
        assertEquals(alerts.get(0).step(), 10);
        assertEquals(alerts.get(1).step(), 22);
        assertEquals(monitor.episodes(), 2);
        // The second episode lasts while 20, 21 and 22 are all in the window (steps 22..29).
        assertEquals(
                inEpisodeAt,
                List.of(10L, 11L, 12L, 13L, 14L, 22L, 23L, 24L, 25L, 26L, 27L, 28L, 29L));
        AlertEvent first = alerts.get(0);
        assertEquals(first.kind(), AlertEvent.Kind.CLIP_RATE);
        assertEquals(first.value(), 0.3, 1e-12);
        assertEquals(first.limit(), 0.2, 1e-12);
        assertTrue(first.message().contains("3 of the last 10"), first.message());
        assertTrue(first.message().contains("30.0%"), first.message());
        assertTrue(first.message().contains("learning rate"), first.message());
        assertTrue(first.message().contains("conditioning"), first.message());
    }

    @Test
    public void noVerdictBeforeTheWindowIsFullAndSkippedStepsDoNotCount() {
        ClipRateMonitor monitor = ClipRateMonitor.builder().optWindow(5).optThreshold(0.5).build();
        for (int step = 0; step < 4; step++) {
            monitor.onStep(FakeDetails.report(step, 0, step, 1f, true), FakeDetails.none());
            assertFalse(monitor.inEpisode(), "window not full at step " + step);
        }
        // A clipped but skipped step is not a clipped step: 4 of 5 -> 0.8 is above 0.5 anyway.
        StepReport skipped = new StepReport(4, 0, 4, 9f, 0.1f, true, 1f, false, true, 1);
        monitor.onStep(skipped, FakeDetails.none());
        assertEquals(monitor.rate(), 0.8, 1e-12);
        assertTrue(monitor.inEpisode());
    }

    @Test
    public void badOptionsNameTheOptionAndValue() {
        ObserveAssertions.expectMessage(
                () -> ClipRateMonitor.builder().optWindow(0), "window", "0");
        ObserveAssertions.expectMessage(
                () -> ClipRateMonitor.builder().optThreshold(1.0), "threshold", "1.0");
        ObserveAssertions.expectMessage(
                () -> ClipRateMonitor.builder().optThreshold(Double.NaN), "threshold", "NaN");
    }
}
