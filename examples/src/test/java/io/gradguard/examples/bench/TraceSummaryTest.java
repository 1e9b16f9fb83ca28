package io.gradguard.examples.bench;

import static org.testng.Assert.assertEquals;
import static org.testng.Assert.expectThrows;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.testng.annotations.Test;

public class TraceSummaryTest {

    /** One complete event as libtorch's profiler writes it. */
    private static String event(String name, double ts, double dur) {
        return "{\n  \"name\": \""
                + name
                + "\",\n  \"ph\": \"X\",\n  \"ts\": "
                + ts
                + ",\n  \"dur\": "
                + dur
                + ",\n  \"tid\": 1,\n  \"pid\": \"CPU Functions\",\n  \"args\": {}\n}";
    }

    private static Path write(String... events) throws IOException {
        Path file = Files.createTempFile("trace", ".json");
        file.toFile().deleteOnExit();
        Files.writeString(file, "[\n" + String.join(",\n", events) + "\n]\n");
        return file;
    }

    /**
     * Two calls, each recorded twice (the inner span inside the outer), with direct and nested
     * operators and one operator outside any call. By hand: call 1 spans 100 us with direct
     * operators of 30 + 20 = 50 us (the 10 us one nested in the first does not count again), so its
     * interpreter share is 0.5, 2 direct operators and 3 records; call 2 spans 200 us with one
     * direct operator of 150 us: share 0.25, 1 direct, 1 record. Medians of two: span 150 us = 0.15
     * ms, share 0.375, direct (2 + 1) / 2 = 1.5 -> 1, records 2.
     */
    @Test
    public void splitsEachOutermostSpanIntoItsDirectOperators() throws IOException {
        Path trace =
                write(
                        event("aten::empty", 0, 5),
                        event("step_", 10, 100),
                        event("step_", 11, 98),
                        event("aten::_foreach_norm", 20, 30),
                        event("aten::linalg_vector_norm", 22, 10),
                        event("aten::mul", 60, 20),
                        event("aten::empty", 150, 5),
                        event("step_", 300, 200),
                        event("step_", 301, 198),
                        event("aten::_foreach_norm", 320, 150));
        TraceSummary summary = TraceSummary.read(trace, "step_");
        TraceSummary.Split split = summary.split();
        assertEquals(split.spanMs(), 0.15, 1e-12);
        assertEquals(split.interpreterShare(), 0.375, 1e-12);
        assertEquals(split.operators(), 1);
        assertEquals(split.records(), 2);
        // _foreach_norm: 30 and 150 us per call, median 90 us; mul: 20 and 0, median 10 us.
        assertEquals(
                summary.topOperators(2),
                List.of("aten::_foreach_norm 0.090 (x1.0)", "aten::mul 0.010 (x0.5)"));
    }

    /** A trace without the method is refused with its name. */
    @Test
    public void aTraceWithoutTheMethodIsRefused() throws IOException {
        Path trace = write(event("aten::empty", 0, 5));
        IllegalStateException e =
                expectThrows(IllegalStateException.class, () -> TraceSummary.read(trace, "step_"));
        assertEquals(e.getMessage(), "no span named step_ in " + trace);
    }
}
