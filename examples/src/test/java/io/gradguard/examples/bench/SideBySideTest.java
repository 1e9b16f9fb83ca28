package io.gradguard.examples.bench;

import static org.testng.Assert.assertEquals;
import static org.testng.Assert.assertTrue;

import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.testng.annotations.Test;

/**
 * The side-by-side measurement on DJL's PyTorch engine with the PyTorch column skipped: every row
 * is still there, GradGuard's timings and the DJL floor are measured, and the rounds interleave. No
 * timing is asserted.
 */
public class SideBySideTest {

    /** The guard timer runs both guards for every trial and calls the hook once per round. */
    @Test
    public void guardTimerRunsInRounds() {
        AtomicInteger rounds = new AtomicInteger();
        GuardTimer.Result r =
                GuardTimer.measure(
                        "PyTorch", GradientSet.uniform(3, 10), 1, 4, 2, rounds::incrementAndGet);
        assertEquals(rounds.get(), 2);
        assertEquals(r.clip().trials(), 4);
        assertEquals(r.scaled().trials(), 4);
    }

    /**
     * The LSTM set without PyTorch: five clip rows and three guard rows; the seven PyTorch
     * references say skipped and their targets not measured, the DJL floor is measured and
     * compared.
     */
    @Test
    public void skippedPyTorchKeepsEveryRow() {
        SideBySideTable table = new SideBySideTable();
        new SideBySide(null, 1, 2, 2, 2, null, "")
                .measure("lstm", BenchLstm.parameterSet("PyTorch", 2, 3), table);
        String[] lines = table.render().split("\n");
        assertEquals(lines.length, 2 + 8, table.render());
        assertEquals(
                List.of(lines).stream().filter(l -> l.contains("| skipped ")).count(),
                7L,
                table.render());
        String floorRow = lines[2 + 3];
        assertTrue(floorRow.contains(SideBySide.FLOOR), floorRow);
        assertTrue(floorRow.matches(".*\\| \\d+\\.\\d\\d +\\| - +\\| - +\\|$"), floorRow);
        assertEquals(table.verdicts().size(), 3, table.verdicts().toString());
        for (String verdict : table.verdicts()) {
            assertTrue(verdict.endsWith("NOT MEASURED"), verdict);
        }
    }
}
