package io.gradguard.examples.bench;

import static org.testng.Assert.assertEquals;
import static org.testng.Assert.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.testng.annotations.Test;

public class StepProfileTest {

    /** Too few steps or a negative warm-up exit with picocli's usage code 2, naming the option. */
    @Test
    public void badOptionsExitWithTwoAndNameTheOption() {
        PrintStream err = System.err;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
        try {
            assertEquals(
                    ClipBenchmark.runOffline(new StepProfile(), new String[] {"--steps", "3"}), 2);
            assertEquals(
                    ClipBenchmark.runOffline(
                            new StepProfile(), new String[] {"--warmup-seconds", "-1"}),
                    2);
        } finally {
            System.setErr(err);
        }
        String text = captured.toString(StandardCharsets.UTF_8);
        assertTrue(text.contains("--steps must be at least 10"), text);
        assertTrue(text.contains("got 3 and 8"), text);
        assertTrue(text.contains("got 200 and -1"), text);
    }
}
