package io.gradguard.examples.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** What the benchmark reports about the machine it ran on, read from {@code /proc} on Linux. */
final class MachineInfo {

    private MachineInfo() {}

    /**
     * Returns the first {@code model name} of {@code /proc/cpuinfo}, or {@code "unknown"}.
     *
     * @return the CPU model
     */
    static String cpuModel() {
        try {
            List<String> lines = Files.readAllLines(Path.of("/proc/cpuinfo"));
            for (String line : lines) {
                if (line.startsWith("model name")) {
                    return line.substring(line.indexOf(':') + 1).trim();
                }
            }
        } catch (IOException | RuntimeException e) {
            return "unknown (" + e.getMessage() + ")";
        }
        return "unknown";
    }

    /**
     * Returns the 1, 5 and 15 minute load averages of {@code /proc/loadavg}, or {@code "unknown"}.
     *
     * @return the load, such as {@code "1.02 0.87 0.50"}
     */
    static String loadAverage() {
        try {
            String[] parts = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+");
            return parts[0] + " " + parts[1] + " " + parts[2];
        } catch (IOException | RuntimeException e) {
            return "unknown";
        }
    }
}
