package io.gradguard.examples.bench;

import static org.testng.Assert.assertEquals;
import static org.testng.Assert.assertNotNull;
import static org.testng.Assert.assertNull;
import static org.testng.Assert.assertThrows;
import static org.testng.Assert.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.testng.SkipException;
import org.testng.annotations.Test;

/**
 * The PyTorch side of the side-by-side table: the lines its script prints are parsed, a missing
 * interpreter or torch gives one skip line, and the real script (where Debian's torch is installed)
 * answers in the format the benchmark reads.
 */
public class TorchReferenceTest {

    /** Lines without the prefix are ignored; version, set and samples are read in order. */
    @Test
    public void parsesTheScriptsLines() {
        TorchReference.Output out =
                TorchReference.parse(
                        List.of(
                                "a warning from torch",
                                "torch-reference version 1.13.0a0 threads 1",
                                "torch-reference set 11 60481",
                                "torch-reference samples foreach 0.25 0.5",
                                "torch-reference samples floor 0.125"));
        assertEquals(out.version(), "1.13.0a0 threads 1");
        assertEquals(out.set(), "11 60481");
        assertEquals(List.copyOf(out.samples().keySet()), List.of("foreach", "floor"));
        assertEquals(out.samples().get("foreach"), new double[] {0.25, 0.5});
        assertEquals(out.samples().get("floor"), new double[] {0.125});
    }

    /** No samples line, a samples line without numbers, or a malformed number are refused. */
    @Test
    public void refusesBrokenOutput() {
        assertThrows(
                IllegalArgumentException.class,
                () -> TorchReference.parse(List.of("torch-reference version 1.13")));
        assertThrows(
                IllegalArgumentException.class,
                () -> TorchReference.parse(List.of("torch-reference samples foreach")));
        assertThrows(
                NumberFormatException.class,
                () -> TorchReference.parse(List.of("torch-reference samples foreach 0.2x")));
    }

    /** Milliseconds become rounded nanoseconds: 0.0000015 ms is 1.5 ns, rounded to 2. */
    @Test
    public void millisecondsToNanoseconds() {
        assertEquals(
                TorchReference.nanos(new double[] {1.0, 0.25, 0.0000015}),
                new long[] {1_000_000, 250_000, 2});
    }

    /**
     * A missing interpreter gives no runner and one line that names it and says what still runs.
     */
    @Test
    public void missingPythonIsOneSkipLine() {
        Path missing = Path.of("/nonexistent/python3");
        TorchReference.Probe probe = TorchReference.probe(missing, 1);
        assertNull(probe.reference());
        String line = probe.skipLine();
        assertTrue(line.startsWith("PyTorch column skipped: /nonexistent/python3 not found"), line);
        assertTrue(line.contains("GradGuard's columns are still measured"), line);
        assertEquals(line.lines().count(), 1L);
    }

    /** An interpreter that cannot import torch (here one that always fails) is skipped too. */
    @Test
    public void pythonWithoutTorchIsOneSkipLine() {
        Path failing = Path.of("/bin/false");
        if (!Files.isExecutable(failing)) {
            throw new SkipException("/bin/false is not here");
        }
        TorchReference.Probe probe = TorchReference.probe(failing, 1);
        assertNull(probe.reference());
        assertTrue(probe.skipLine().contains("/bin/false cannot import torch"), probe.skipLine());
    }

    /**
     * The real script, where Debian's torch is installed: it reports the set it built (3 tensors of
     * 10 floats: 30) and two samples of each clip variant.
     */
    @Test
    public void realScriptSpeaksTheFormat() {
        TorchReference.Probe probe = TorchReference.probe(Path.of("/usr/bin/python3"), 1);
        if (probe.reference() == null) {
            throw new SkipException(probe.skipLine());
        }
        TorchReference.Output out = probe.reference().run("3x10", "clip", 0, 2);
        assertEquals(out.set(), "3 30");
        assertEquals(
                List.copyOf(out.samples().keySet()),
                List.of("clip_grad_norm_", "foreach", "floor"));
        for (double[] ms : out.samples().values()) {
            assertEquals(ms.length, 2);
            assertTrue(ms[0] > 0 && ms[1] > 0);
        }
        assertNotNull(probe.reference().version());
        assertTrue(probe.reference().version().endsWith("threads 1"), probe.reference().version());
    }
}
