package io.gradguard.examples.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * PyTorch's side of the side-by-side table: runs {@code tools/bench/torch_reference.py} with a
 * Python that has torch, as a child process, once per gradient set and round, and reads the samples
 * it prints ({@code torch-reference samples NAME MS MS ...}).
 *
 * <p>The child runs while the benchmark JVM waits for it, so the two sides never compete for the
 * CPUs; interleaving their rounds puts both in the same minutes of a shared machine.
 */
final class TorchReference {

    /** The prefix of every line the script writes for the benchmark. */
    static final String PREFIX = "torch-reference ";

    /** The script, relative to the repository root. */
    static final String SCRIPT = "tools/bench/torch_reference.py";

    private static final long TIMEOUT_MINUTES = 10;

    private final Path python;
    private final Path script;
    private final int threads;
    private String version = "unknown";

    private TorchReference(Path python, Path script, int threads) {
        this.python = python;
        this.script = script;
        this.threads = threads;
    }

    /**
     * What one run of the script printed.
     *
     * @param version torch's version and thread count, such as {@code "1.13.0a0 threads 1"}
     * @param set the set's tensor count and float count, such as {@code "11 60481"}
     * @param samples the milliseconds of each variant, in the order printed
     */
    record Output(String version, String set, Map<String, double[]> samples) {}

    /**
     * The outcome of looking for the reference: the runner, or why there is none.
     *
     * @param reference the runner, or null when skipped
     * @param skipReason why the PyTorch column is skipped, or null
     */
    record Probe(TorchReference reference, String skipReason) {

        /**
         * Returns the line the benchmark prints when the PyTorch column is skipped.
         *
         * @return such as {@code "PyTorch column skipped: /usr/bin/python3 not found"}
         */
        String skipLine() {
            return "PyTorch column skipped: " + skipReason;
        }
    }

    /**
     * Looks for a Python that imports torch and for the script, searching the working directory and
     * its parents (Maven runs the benchmark in {@code examples/}).
     *
     * @param python the interpreter, such as {@code /usr/bin/python3}
     * @param threads torch threads in the child
     * @return the runner, or the reason the PyTorch column is skipped
     */
    static Probe probe(Path python, int threads) {
        if (!Files.isExecutable(python)) {
            return new Probe(
                    null,
                    python
                            + " not found or not executable (Debian: apt-get install"
                            + " python3-torch); GradGuard's columns are still measured");
        }
        Path script = findScript(Path.of("").toAbsolutePath(), SCRIPT);
        if (script == null) {
            return new Probe(null, SCRIPT + " not found above " + Path.of("").toAbsolutePath());
        }
        try {
            List<String> out =
                    run(List.of(python.toString(), "-c", "import torch; print(torch.__version__)"));
            if (out == null) {
                return new Probe(
                        null,
                        python
                                + " cannot import torch (Debian: apt-get install python3-torch);"
                                + " GradGuard's columns are still measured");
            }
        } catch (IOException e) {
            return new Probe(null, python + " could not be started: " + e.getMessage());
        }
        return new Probe(new TorchReference(python, script, threads), null);
    }

    /**
     * Returns {@code script} (a path from the repository root) found in {@code dir} or the nearest
     * of its parents that holds it, or null.
     */
    static Path findScript(Path dir, String script) {
        for (Path d = dir; d != null; d = d.getParent()) {
            Path candidate = d.resolve(script);
            if (Files.isRegularFile(candidate)) {
                return candidate;
            }
        }
        return null;
    }

    /**
     * Runs the script once.
     *
     * @param setSpec the set as the script names it: {@code lstm}, {@code transformer} or {@code
     *     COUNTxSIZE}
     * @param work {@code clip} or {@code guard}
     * @param warmup untimed trials
     * @param trials timed trials
     * @return what it printed
     * @throws IllegalStateException if the script fails or prints no samples
     */
    Output run(String setSpec, String work, int warmup, int trials) {
        List<String> command =
                List.of(
                        python.toString(),
                        script.toString(),
                        "--set",
                        setSpec,
                        "--work",
                        work,
                        "--warmup",
                        Integer.toString(warmup),
                        "--trials",
                        Integer.toString(trials),
                        "--threads",
                        Integer.toString(threads));
        List<String> lines;
        try {
            lines = run(command);
        } catch (IOException e) {
            throw new IllegalStateException("could not run " + command + ": " + e.getMessage(), e);
        }
        if (lines == null) {
            throw new IllegalStateException("the PyTorch reference failed: " + command);
        }
        Output output = parse(lines);
        version = output.version();
        return output;
    }

    /**
     * Returns the torch version and thread count the last run reported.
     *
     * @return such as {@code "1.13.0a0 threads 1"}, or {@code "unknown"} before the first run
     */
    String version() {
        return version;
    }

    /**
     * Parses the script's output; lines without the prefix are ignored.
     *
     * @param lines the standard output, line by line
     * @return the version, set description and samples
     * @throws IllegalArgumentException if a samples line has no number or a number is malformed, or
     *     there is no samples line
     */
    static Output parse(List<String> lines) {
        String version = "unknown";
        String set = "unknown";
        Map<String, double[]> samples = new LinkedHashMap<>();
        for (String line : lines) {
            if (!line.startsWith(PREFIX)) {
                continue;
            }
            String[] words = line.substring(PREFIX.length()).trim().split("\\s+");
            String rest = String.join(" ", List.of(words).subList(1, words.length));
            switch (words[0]) {
                case "version" -> version = rest;
                case "set" -> set = rest;
                case "samples" -> {
                    if (words.length < 3) {
                        throw new IllegalArgumentException(
                                "a samples line has no numbers: " + line);
                    }
                    double[] ms = new double[words.length - 2];
                    for (int i = 2; i < words.length; i++) {
                        ms[i - 2] = Double.parseDouble(words[i]);
                    }
                    samples.put(words[1], ms);
                }
                default -> {
                    // Lines of later versions of the script are ignored.
                }
            }
        }
        if (samples.isEmpty()) {
            throw new IllegalArgumentException(
                    "no '" + PREFIX + "samples' line in the output: " + lines);
        }
        return new Output(version, set, samples);
    }

    /**
     * Converts milliseconds to nanoseconds, rounded.
     *
     * @param ms the values
     * @return the nanoseconds
     */
    static long[] nanos(double[] ms) {
        long[] out = new long[ms.length];
        for (int i = 0; i < ms.length; i++) {
            out[i] = Math.round(ms[i] * 1e6);
        }
        return out;
    }

    /**
     * Runs a command with one OpenMP thread; returns its output lines, or null if it exits non-zero
     * (its output is printed to standard error) or runs past the timeout.
     */
    static List<String> run(List<String> command) throws IOException {
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
        builder.environment().put("OMP_NUM_THREADS", "1");
        Process process = builder.start();
        List<String> lines = new ArrayList<>();
        try (var reader = process.inputReader(StandardCharsets.UTF_8)) {
            String line;
            while ((line = reader.readLine()) != null) {
                lines.add(line);
            }
        }
        try {
            if (!process.waitFor(TIMEOUT_MINUTES, TimeUnit.MINUTES)) {
                process.destroyForcibly();
                return null;
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
            throw new IOException("interrupted while waiting for " + command, e);
        }
        if (process.exitValue() != 0) {
            System.err.println(
                    String.format(
                            Locale.ROOT,
                            "%s exited with %d:%n%s",
                            command,
                            process.exitValue(),
                            String.join(System.lineSeparator(), lines)));
            return null;
        }
        return lines;
    }
}
