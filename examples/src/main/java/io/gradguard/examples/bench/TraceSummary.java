package io.gradguard.examples.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The spans of one TorchScript method in a trace written by libtorch's profiler ({@code
 * JniUtils.stopProfile}, Chrome trace format), with the ATen operators each span called directly.
 */
final class TraceSummary {

    /** One complete event of the trace: {@code "name", "ph": "X", "ts", "dur"}, in microseconds. */
    private static final Pattern EVENT =
            Pattern.compile(
                    "\"name\":\\s*\"([^\"]*)\",\\s*\"ph\":\\s*\"X\",\\s*\"ts\":\\s*([0-9.eE+-]+),"
                            + "\\s*\"dur\":\\s*([0-9.eE+-]+)");

    /** An event of the trace. */
    private record Event(String name, double start, double duration) {
        double end() {
            return start + duration;
        }
    }

    /**
     * One call of the method: its span, the operators it called directly, and how many operator
     * records the span holds in all (nested ones included).
     */
    private record Call(Event span, List<Event> operators, int records) {
        double operatorMicros() {
            return operators.stream().mapToDouble(Event::duration).sum();
        }
    }

    /**
     * Medians over the calls of the parts of one call's span.
     *
     * @param spanMs the span, in milliseconds
     * @param interpreterShare the span minus the operators it called directly, as a share of it
     * @param operators how many operators it called directly
     * @param records how many operator records it holds, nested ones included
     */
    record Split(double spanMs, double interpreterShare, int operators, int records) {}

    private final List<Call> calls;

    private TraceSummary(List<Call> calls) {
        this.calls = calls;
    }

    /**
     * Reads the spans named {@code method} and their direct ATen operators.
     *
     * @param trace the trace file
     * @param method the TorchScript method's name
     * @return the summary
     * @throws IOException if the file cannot be read
     * @throws IllegalStateException if the trace holds no such span
     */
    static TraceSummary read(Path trace, String method) throws IOException {
        List<Event> events = new ArrayList<>();
        Matcher m = EVENT.matcher(Files.readString(trace));
        while (m.find()) {
            events.add(
                    new Event(
                            m.group(1),
                            Double.parseDouble(m.group(2)),
                            Double.parseDouble(m.group(3))));
        }
        events.sort(Comparator.comparingDouble(Event::start));
        List<Call> calls = new ArrayList<>();
        double lastEnd = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < events.size(); i++) {
            Event span = events.get(i);
            // libtorch records a method call twice, the second span inside the first.
            if (!span.name().equals(method) || span.start() < lastEnd) {
                continue;
            }
            lastEnd = span.end();
            List<Event> direct = new ArrayList<>();
            int records = 0;
            double coveredUntil = span.start();
            for (int j = i + 1; j < events.size() && events.get(j).start() < span.end(); j++) {
                Event e = events.get(j);
                if (e.name().equals(method)) {
                    continue;
                }
                records++;
                if (e.start() >= coveredUntil) {
                    direct.add(e);
                    coveredUntil = e.end();
                }
            }
            calls.add(new Call(span, direct, records));
        }
        if (calls.isEmpty()) {
            throw new IllegalStateException("no span named " + method + " in " + trace);
        }
        return new TraceSummary(calls);
    }

    /**
     * Returns the medians over the calls of the span and its parts.
     *
     * @return the split
     */
    Split split() {
        int n = calls.size();
        double[] span = new double[n];
        double[] share = new double[n];
        double[] direct = new double[n];
        double[] records = new double[n];
        for (int i = 0; i < n; i++) {
            Call c = calls.get(i);
            span[i] = c.span().duration() / 1e3;
            share[i] = 1 - c.operatorMicros() / c.span().duration();
            direct[i] = c.operators().size();
            records[i] = c.records();
        }
        return new Split(median(span), median(share), (int) median(direct), (int) median(records));
    }

    /**
     * Returns the {@code k} operators with the most time per call, as {@code "name ms (xN)"}: for
     * each name, the median over the calls of its time in the call, and how often a call ran it.
     *
     * @param k how many
     * @return the largest, largest first
     */
    List<String> topOperators(int k) {
        Map<String, double[]> perCall = new HashMap<>();
        Map<String, Integer> runs = new HashMap<>();
        for (int i = 0; i < calls.size(); i++) {
            for (Event e : calls.get(i).operators()) {
                perCall.computeIfAbsent(e.name(), n -> new double[calls.size()])[i] += e.duration();
                runs.merge(e.name(), 1, Integer::sum);
            }
        }
        Map<String, Double> medians = new HashMap<>();
        perCall.forEach((name, micros) -> medians.put(name, median(micros) / 1e3));
        return medians.entrySet().stream()
                .sorted((a, b) -> Double.compare(b.getValue(), a.getValue()))
                .limit(k)
                .map(
                        e ->
                                String.format(
                                        Locale.ROOT,
                                        "%s %.3f (x%.1f)",
                                        e.getKey(),
                                        e.getValue(),
                                        runs.get(e.getKey()) / (double) calls.size()))
                .toList();
    }

    private static double median(double[] values) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        int n = sorted.length;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }
}
