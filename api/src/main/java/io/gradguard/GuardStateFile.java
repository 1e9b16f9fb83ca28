package io.gradguard;

import static io.gradguard.PropertiesLines.line;

import io.gradguard.internal.AtomicFile;
import io.gradguard.internal.StrategyNames;
import io.gradguard.scale.LossScalerState;
import java.io.IOException;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.function.Function;
import java.util.zip.CRC32;

/**
 * Reads and writes a {@link GuardCheckpoint} as a small text file in {@link Properties} syntax,
 * pure ASCII, one {@code key=value} per line in a fixed order, ending with a CRC-32 of everything
 * above it:
 *
 * <pre>
 * # GradGuard training state (ClippingTrainingListener.saveState / loadState).
 * # Written beside DJL's model.save(dir, name); the last line is a CRC-32 of the lines above it.
 * format=gradguard-state
 * version=2
 * step=20
 * ...
 * strategy=autoClip(percentile=10.0, historySize=1000)
 * strategy.name=autoClip
 * strategy.state.history=D:4.85,7.33
 * ...
 * scaler=dynamic
 * ...
 * checksum.crc32=5f0c1a2b
 * </pre>
 *
 * The strategy and the loss scaler are recorded by stable names ({@link
 * GuardCheckpoint#strategyName()}, {@link GuardCheckpoint#scalerKind()}), never by the classes of
 * GradGuard that implement them. Version 2 is written; version 1, which recorded the strategy's
 * class as {@code strategy.class} instead of {@code strategy.name}, is still read, a class name of
 * one of GradGuard's strategies being mapped to that strategy's name.
 *
 * <p>Reading is strict: an empty, truncated or corrupt file, another format version, a missing or
 * unknown key (such as {@code strategy.class} in version 2), or a value that does not parse or is
 * out of range is an {@link InvalidCheckpointException} naming the file and the problem. Writing
 * goes through a temporary file of its own and an atomic rename, so that a reader, a concurrent
 * writer or a crash sees the previous file or the new one, never a mix.
 */
final class GuardStateFile {

    static final String FORMAT = "gradguard-state";
    static final int VERSION = 2;

    /** The oldest version still read. */
    static final int OLDEST_VERSION = 1;

    static final String SUFFIX = "-gradguard.properties";

    private static final String CHECKSUM = "checksum.crc32";
    private static final String STATE_PREFIX = "strategy.state.";
    private static final String STRATEGY_NAME = "strategy.name";

    /** Version 1's key for the strategy: its class name, mapped by {@link StrategyNames}. */
    private static final String V1_STRATEGY_CLASS = "strategy.class";

    /** The keys of every version, except the strategy's name and the strategy state. */
    private static final List<String> KEYS =
            List.of(
                    "format",
                    "version",
                    "step",
                    "epoch",
                    "batchInEpoch",
                    "consecutiveSkips",
                    "accumulationSteps",
                    "policy",
                    "strategy",
                    "scaler",
                    "scaler.scale",
                    "scaler.growthTracker",
                    "scaler.overflowStreak",
                    "statistics.steps",
                    "statistics.clippedSteps",
                    "statistics.skippedSteps",
                    "statistics.nonFiniteSteps",
                    "statistics.microSteps",
                    "statistics.maxNorm",
                    "statistics.dataFaultSteps");

    private GuardStateFile() {}

    /**
     * Returns {@code dir/name-gradguard.properties}.
     *
     * @throws IllegalArgumentException if {@code name} is empty or holds a path separator
     */
    static Path resolve(Path dir, String name) {
        if (dir == null) {
            throw new IllegalArgumentException("dir must not be null");
        }
        if (name == null || name.isEmpty() || name.contains("/") || name.contains("\\")) {
            throw new IllegalArgumentException(
                    "name must be a non-empty file name without separators, got " + name);
        }
        return dir.resolve(name + SUFFIX);
    }

    /**
     * Writes the checkpoint to {@code file} with {@link AtomicFile#write}: concurrent writes to one
     * file leave exactly one of their checkpoints in it, complete, and no temporary file.
     *
     * @throws IOException naming {@code file} if it cannot be written
     */
    static void write(GuardCheckpoint checkpoint, Path file) throws IOException {
        AtomicFile.write(file, bytes(checkpoint));
    }

    /** Returns the complete content of the file for a checkpoint, checksum line included. */
    static byte[] bytes(GuardCheckpoint checkpoint) {
        String body = encode(checkpoint);
        String text = body + CHECKSUM + '=' + crc(body.getBytes(StandardCharsets.US_ASCII)) + '\n';
        return text.getBytes(StandardCharsets.US_ASCII);
    }

    /** Returns the file's lines above the checksum line. */
    static String encode(GuardCheckpoint c) {
        StringBuilder out = new StringBuilder(1024);
        out.append("# GradGuard training state (ClippingTrainingListener.saveState / loadState).\n")
                .append("# Written beside DJL's model.save(dir, name); the last line is a CRC-32")
                .append(" of the lines above it.\n");
        line(out, "format", FORMAT);
        line(out, "version", Integer.toString(VERSION));
        line(out, "step", Long.toString(c.step()));
        line(out, "epoch", Integer.toString(c.epoch()));
        line(out, "batchInEpoch", Long.toString(c.batchInEpoch()));
        line(out, "consecutiveSkips", Integer.toString(c.consecutiveSkips()));
        line(out, "accumulationSteps", Integer.toString(c.accumulationSteps()));
        line(out, "policy", c.policy().name());
        line(out, "strategy", c.strategy());
        line(out, STRATEGY_NAME, c.strategyName());
        for (Map.Entry<String, String> e : c.strategyState().entrySet()) {
            line(out, STATE_PREFIX + e.getKey(), e.getValue());
        }
        line(out, "scaler", c.scalerKind());
        line(out, "scaler.scale", Float.toString(c.scalerState().scale()));
        line(out, "scaler.growthTracker", Integer.toString(c.scalerState().growthTracker()));
        line(out, "scaler.overflowStreak", Integer.toString(c.scalerState().overflowStreak()));
        ClipStatistics s = c.statistics();
        line(out, "statistics.steps", Long.toString(s.steps()));
        line(out, "statistics.clippedSteps", Long.toString(s.clippedSteps()));
        line(out, "statistics.skippedSteps", Long.toString(s.skippedSteps()));
        line(out, "statistics.nonFiniteSteps", Long.toString(s.nonFiniteSteps()));
        line(out, "statistics.microSteps", Long.toString(s.microSteps()));
        line(out, "statistics.maxNorm", Float.toString(s.maxNorm()));
        line(out, "statistics.dataFaultSteps", Long.toString(s.dataFaultSteps()));
        return out.toString();
    }

    /** Reads and validates a file written by {@link #write}. */
    static GuardCheckpoint read(Path file) throws IOException {
        return read(file, Files.readAllBytes(file));
    }

    /** Validates the content {@code bytes} read from {@code file}. */
    static GuardCheckpoint read(Path file, byte[] bytes) throws IOException {
        if (bytes.length == 0) {
            throw new InvalidCheckpointException(file, "the file is empty");
        }
        // ISO-8859-1 maps every byte to one char, so offsets in the text are offsets in the bytes.
        String text = new String(bytes, StandardCharsets.ISO_8859_1);
        Properties raw = load(file, text);
        if (!FORMAT.equals(raw.getProperty("format"))) {
            throw new InvalidCheckpointException(
                    file,
                    "not a GradGuard state file, or truncated before its header: no 'format="
                            + FORMAT
                            + "' line");
        }
        int version = version(file, raw.getProperty("version"));
        int bodyEnd = checkChecksum(file, text, bytes);
        return decode(file, load(file, text.substring(0, bodyEnd)), version);
    }

    private static int version(Path file, String stated) {
        for (int v = OLDEST_VERSION; v <= VERSION; v++) {
            if (Integer.toString(v).equals(stated)) {
                return v;
            }
        }
        throw new InvalidCheckpointException(
                file,
                "format version "
                        + stated
                        + " is not supported; this GradGuard reads versions "
                        + OLDEST_VERSION
                        + " to "
                        + VERSION);
    }

    private static Properties load(Path file, String text) throws IOException {
        Properties props = new Properties();
        try {
            props.load(new StringReader(text));
        } catch (IllegalArgumentException e) {
            throw new InvalidCheckpointException(file, "corrupt: " + e.getMessage(), e);
        }
        return props;
    }

    /** Verifies the last line and returns the offset where it starts. */
    private static int checkChecksum(Path file, String text, byte[] bytes) {
        if (!text.endsWith("\n")) {
            throw new InvalidCheckpointException(
                    file, "truncated: it does not end with a complete checksum line");
        }
        int start = text.lastIndexOf('\n', text.length() - 2) + 1;
        String last = text.substring(start, text.length() - 1);
        if (!last.startsWith(CHECKSUM + '=')) {
            throw new InvalidCheckpointException(
                    file, "truncated: the last line is not the '" + CHECKSUM + "' line");
        }
        String stated = last.substring(CHECKSUM.length() + 1);
        CRC32 crc = new CRC32();
        crc.update(bytes, 0, start);
        String actual = String.format(Locale.ROOT, "%08x", crc.getValue());
        if (!actual.equals(stated)) {
            throw new InvalidCheckpointException(
                    file,
                    "corrupt: the CRC-32 of its content is "
                            + actual
                            + " but its checksum line says "
                            + stated);
        }
        return start;
    }

    private static GuardCheckpoint decode(Path file, Properties props, int version) {
        Fields f = new Fields(file, props);
        Map<String, String> strategyState = new HashMap<>();
        Set<String> known = new HashSet<>(KEYS);
        String strategyKey = version == 1 ? V1_STRATEGY_CLASS : STRATEGY_NAME;
        known.add(strategyKey);
        for (String key : props.stringPropertyNames()) {
            if (key.startsWith(STATE_PREFIX)) {
                strategyState.put(key.substring(STATE_PREFIX.length()), props.getProperty(key));
            } else if (!known.contains(key)) {
                throw new InvalidCheckpointException(file, "unknown key '" + key + "'");
            }
        }
        try {
            return new GuardCheckpoint(
                    f.longValue("step"),
                    f.intValue("epoch"),
                    f.longValue("batchInEpoch"),
                    f.intValue("consecutiveSkips"),
                    f.intValue("accumulationSteps"),
                    f.policy("policy"),
                    f.text("strategy"),
                    // the record maps a version-1 class name to the strategy's name
                    f.text(strategyKey),
                    strategyState,
                    f.text("scaler"),
                    new LossScalerState(
                            f.floatValue("scaler.scale"),
                            f.intValue("scaler.growthTracker"),
                            f.intValue("scaler.overflowStreak")),
                    new ClipStatistics(
                            f.longValue("statistics.steps"),
                            f.longValue("statistics.clippedSteps"),
                            f.longValue("statistics.skippedSteps"),
                            f.longValue("statistics.nonFiniteSteps"),
                            f.longValue("statistics.microSteps"),
                            f.floatValue("statistics.maxNorm"),
                            // absent from files written before data faults were counted apart
                            props.containsKey("statistics.dataFaultSteps")
                                    ? f.longValue("statistics.dataFaultSteps")
                                    : 0));
        } catch (InvalidCheckpointException e) {
            throw e;
        } catch (IllegalArgumentException e) {
            throw new InvalidCheckpointException(file, "invalid value: " + e.getMessage(), e);
        }
    }

    private static String crc(byte[] bytes) {
        CRC32 crc = new CRC32();
        crc.update(bytes);
        return String.format(Locale.ROOT, "%08x", crc.getValue());
    }

    /** Typed, named access to the parsed keys; every failure names the file and the key. */
    private record Fields(Path file, Properties props) {

        String text(String key) {
            String value = props.getProperty(key);
            if (value == null) {
                throw new InvalidCheckpointException(file, "missing key '" + key + "'");
            }
            return value;
        }

        long longValue(String key) {
            return parsed(key, "an integer", Long::parseLong);
        }

        int intValue(String key) {
            return parsed(key, "an integer", Integer::parseInt);
        }

        float floatValue(String key) {
            return parsed(key, "a number", Float::parseFloat);
        }

        NonFinitePolicy policy(String key) {
            return parsed(key, "a NonFinitePolicy", NonFinitePolicy::valueOf);
        }

        /** Parses a key's value; a value the parser rejects is named in the error. */
        private <T> T parsed(String key, String what, Function<String, T> parser) {
            String value = text(key);
            try {
                return parser.apply(value);
            } catch (IllegalArgumentException e) { // NumberFormatException included
                throw notA(what, key, value, e);
            }
        }

        private InvalidCheckpointException notA(
                String what, String key, String value, Exception e) {
            return new InvalidCheckpointException(
                    file, key + " must be " + what + ", got '" + value + "'", e);
        }
    }
}
