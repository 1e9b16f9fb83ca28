package io.gradguard.examples;

import static org.testng.Assert.assertEquals;
import static org.testng.Assert.assertFalse;
import static org.testng.Assert.assertTrue;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.testng.annotations.Test;

/**
 * The launcher that the examples' Maven profiles run: the child's exit code and its own messages
 * reach the caller unchanged (0 story holds, 1 story fails with the point named, 2 bad options).
 */
public class ExampleLauncherTest {

    private record Outcome(int code, String out, String err) {}

    private static Outcome launch(String... args) throws Exception {
        Path dir = Files.createTempDirectory("launcher");
        File out = dir.resolve("out.txt").toFile();
        File err = dir.resolve("err.txt").toFile();
        Process child =
                ExampleLauncher.processBuilder(
                                ChurnDemo.class.getName(),
                                List.of(args),
                                ExampleLauncher.classpath(
                                        ExampleLauncherTest.class.getClassLoader()))
                        .directory(dir.toFile())
                        .redirectOutput(out)
                        .redirectError(err)
                        .start();
        int code = ExampleLauncher.waitFor(child);
        return new Outcome(code, Files.readString(out.toPath()), Files.readString(err.toPath()));
    }

    @Test
    public void badOptionsExitTwoWithTheMessageAndNoStackTrace() throws Exception {
        Outcome o = launch("--epochs", "0");
        assertEquals(o.code(), 2, o.toString());
        assertTrue(o.err().contains("--epochs must be >= 1, got 0"), o.err());
        assertFalse(o.err().contains("Exception"), o.err());
        assertFalse(o.err().contains("\tat "), o.err());
    }

    @Test
    public void helpExitsZero() throws Exception {
        Outcome o = launch("--help");
        assertEquals(o.code(), 0, o.toString());
        assertTrue(o.out().contains("Usage: churn-demo"), o.out());
    }

    @Test
    public void aStoryThatDoesNotHoldExitsOneNamingThePoint() throws Exception {
        // AdamW keeps the unguarded run finite (see ChurnStoryTest), so the story fails at its
        // first point; a tiny data set keeps the run short.
        Outcome o =
                launch(
                        "--engine",
                        "pytorch",
                        "--optimizer",
                        "adamw",
                        "--users",
                        "200",
                        "--seq-len",
                        "12",
                        "--epochs",
                        "1",
                        "--measure-steps",
                        "2");
        assertEquals(o.code(), 1, o.toString());
        assertTrue(o.err().contains("(clip) the unguarded run stayed finite"), o.err());
    }
}
