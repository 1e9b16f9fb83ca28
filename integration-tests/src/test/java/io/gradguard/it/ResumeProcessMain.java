package io.gradguard.it;

import ai.djl.ndarray.types.DataType;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Resumes a {@link ResumableRun} with AdamW in a JVM of its own, as a preempted job would: {@code
 * engine dataType stop checkpointDir endDir weightsFile}. The final state is saved to {@code
 * endDir} and the final weights written to {@code weightsFile} (per parameter: a count, then the
 * raw float bits).
 */
public final class ResumeProcessMain {

    private ResumeProcessMain() {}

    /**
     * Runs the resumed segment.
     *
     * @param args engine, data type, stop window, checkpoint directory, end directory, weights file
     * @throws IOException if a file cannot be written
     */
    public static void main(String[] args) throws IOException {
        ResumableRun run = new ResumableRun(args[0], DataType.valueOf(args[1]));
        int stop = Integer.parseInt(args[2]);
        ResumableRun.Outcome outcome =
                run.segment(
                        ResumableRun.Kind.ADAMW,
                        stop,
                        ResumableRun.windows(),
                        Path.of(args[3]),
                        Path.of(args[4]));
        try (DataOutputStream out = new DataOutputStream(Files.newOutputStream(Path.of(args[5])))) {
            out.writeInt(outcome.weights().size());
            for (float[] w : outcome.weights()) {
                out.writeInt(w.length);
                for (float v : w) {
                    out.writeInt(Float.floatToRawIntBits(v));
                }
            }
        }
    }

    /**
     * Launches {@link #main} in a new JVM with this JVM's class path and DJL settings, and returns
     * the weights it wrote.
     */
    static List<float[]> resumeInNewProcess(
            String engine, DataType dataType, int stop, Path dir, Path end)
            throws IOException, InterruptedException {
        Path weights = end.resolve("weights.bin");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> command = new ArrayList<>();
        command.add(java);
        for (String key : System.getProperties().stringPropertyNames()) {
            if (key.startsWith("ai.djl.") || key.equals("OPT_OUT_TRACKING")) {
                command.add("-D" + key + "=" + System.getProperty(key));
            }
        }
        command.addAll(
                List.of(
                        "-cp",
                        System.getProperty("java.class.path"),
                        ResumeProcessMain.class.getName(),
                        engine,
                        dataType.name(),
                        Integer.toString(stop),
                        dir.toString(),
                        end.toString(),
                        weights.toString()));
        Path log = end.resolve("child.log");
        Process child =
                new ProcessBuilder(command)
                        .redirectErrorStream(true)
                        .redirectOutput(log.toFile())
                        .start();
        if (!child.waitFor(5, TimeUnit.MINUTES)) {
            child.destroyForcibly();
            throw new IllegalStateException("the resumed process did not finish in 5 minutes");
        }
        if (child.exitValue() != 0) {
            throw new IllegalStateException(
                    "the resumed process failed (exit "
                            + child.exitValue()
                            + "):\n"
                            + Files.readString(log));
        }
        List<float[]> out = new ArrayList<>();
        try (DataInputStream in = new DataInputStream(Files.newInputStream(weights))) {
            int count = in.readInt();
            for (int p = 0; p < count; p++) {
                float[] w = new float[in.readInt()];
                for (int i = 0; i < w.length; i++) {
                    w[i] = Float.intBitsToFloat(in.readInt());
                }
                out.add(w);
            }
        }
        return out;
    }
}
