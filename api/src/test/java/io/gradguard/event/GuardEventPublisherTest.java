package io.gradguard.event;

import static org.testng.Assert.assertEquals;
import static org.testng.Assert.assertTrue;

import io.gradguard.StepDetails;
import io.gradguard.StepReport;
import java.util.ArrayList;
import java.util.List;
import org.testng.annotations.Test;

/** Reports become typed events; a throwing consumer is contained. */
public class GuardEventPublisherTest {

    private static final StepDetails NONE = StepDetails.none();

    @Test
    public void reportsBecomeTypedEventsInOrder() {
        List<GuardEvent> all = new ArrayList<>();
        List<ClippedEvent> clipped = new ArrayList<>();
        List<SkippedEvent> skipped = new ArrayList<>();
        List<OverflowEvent> overflows = new ArrayList<>();
        GuardEventPublisher publisher =
                new GuardEventPublisher()
                        .onEvent(all::add)
                        .onClipped(clipped::add)
                        .onSkipped(skipped::add)
                        .onOverflow(overflows::add);
        publisher.onStep(new StepReport(0, 0, 0, 0.5f, 1f, false, 1f, false, false, 1), NONE);
        publisher.onStep(new StepReport(1, 0, 1, 5.31f, 0.1883f, true, 1f, false, false, 1), NONE);
        publisher.onStep(
                new StepReport(2, 0, 2, Float.POSITIVE_INFINITY, 0f, false, 65536f, true, true, 1),
                NONE);
        publisher.onStep(new StepReport(3, 1, 0, 9f, 0.1f, true, 1f, false, true, 2), NONE);
        assertEquals(
                all.stream().map(GuardEvent::type).toList(),
                List.of(
                        GuardEvent.Type.CLIPPED,
                        GuardEvent.Type.OVERFLOW,
                        GuardEvent.Type.SKIPPED,
                        GuardEvent.Type.SKIPPED));
        assertEquals(clipped, List.of(new ClippedEvent(1, 0, 1, 5.31f, 0.1883f)));
        assertEquals(
                overflows, List.of(new OverflowEvent(2, 0, 2, Float.POSITIVE_INFINITY, 65536f)));
        assertEquals(skipped.size(), 2);
        assertTrue(skipped.get(0).nonFinite());
        assertEquals(skipped.get(1), new SkippedEvent(3, 1, 0, 9f, 1f, false));
        assertEquals(
                clipped.get(0).toString(),
                "step 1 (epoch 0, batch 1): gradient norm 5.310 clipped, coefficient 0.1883");
        assertEquals(
                overflows.get(0).toString(),
                "step 2 (epoch 0, batch 2): non-finite gradient (norm Infinity) at loss scale"
                        + " 65536.0");
        assertTrue(skipped.get(0).toString().contains("update skipped (non-finite gradient"));
    }

    @Test
    public void aThrowingConsumerDoesNotStopTheOthers() {
        List<Long> seen = new ArrayList<>();
        GuardEventPublisher publisher =
                new GuardEventPublisher()
                        .onClipped(
                                e -> {
                                    throw new IllegalStateException("consumer bug");
                                })
                        .onClipped(e -> seen.add(e.step()))
                        .onAlert(
                                e -> {
                                    throw new RuntimeException("alert consumer bug");
                                })
                        .onEvent(e -> seen.add(-e.step()));
        publisher.onStep(new StepReport(4, 0, 4, 3f, 0.3f, true, 1f, false, false, 1), NONE);
        publisher.publish(new AlertEvent(5, AlertEvent.Kind.SPIKE, 10, 1, "spike"));
        assertEquals(seen, List.of(4L, -4L, -5L));
    }
}
