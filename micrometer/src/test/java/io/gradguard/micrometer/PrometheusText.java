package io.gradguard.micrometer;

import static org.testng.Assert.assertEquals;
import static org.testng.Assert.assertNotNull;

import java.util.HashMap;
import java.util.Map;

/**
 * A Prometheus text exposition, read line by line: the declared type of each metric family and the
 * value of each sample, keyed by the sample's name and labels exactly as written.
 */
final class PrometheusText {

    private final String text;
    private final Map<String, String> types = new HashMap<>();
    private final Map<String, Double> samples = new HashMap<>();

    PrometheusText(String text) {
        this.text = text;
        for (String line : text.split("\n")) {
            if (line.startsWith("# TYPE ")) {
                String[] parts = line.substring("# TYPE ".length()).split(" ");
                types.put(parts[0], parts[1]);
            } else if (!line.isEmpty() && !line.startsWith("#")) {
                int space = line.lastIndexOf(' ');
                samples.put(line.substring(0, space), parse(line.substring(space + 1)));
            }
        }
    }

    private static double parse(String value) {
        switch (value) {
            case "+Inf":
                return Double.POSITIVE_INFINITY;
            case "-Inf":
                return Double.NEGATIVE_INFINITY;
            default:
                return Double.parseDouble(value);
        }
    }

    /** Asserts that metric family {@code name} is declared with {@code type}. */
    void assertType(String name, String type) {
        assertEquals(types.get(name), type, "# TYPE of " + name + " in\n" + text);
    }

    /** Returns the value of a sample, failing if the scrape has no such sample. */
    double value(String series) {
        Double value = samples.get(series);
        assertNotNull(value, "no sample " + series + " in\n" + text);
        return value;
    }

    /** Asserts the value of a sample within {@code delta}. */
    void assertValue(String series, double expected, double delta) {
        assertEquals(value(series), expected, delta, series);
    }
}
