package io.gradguard.it.scenario;

import static org.testng.Assert.assertTrue;
import static org.testng.Assert.fail;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import io.gradguard.StepReport;
import io.gradguard.it.LeakKit;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.testng.annotations.Test;

/**
 * Seeded scenarios on one engine, with the guard's invariants checked after every optimizer step
 * (see {@link Invariant} and {@link WindowChecks}), a resume check for scenarios with a checkpoint,
 * and a count of the engine's live arrays around each scenario.
 *
 * <p>{@code -Dgradguard.scenarios=N} sets the number of scenarios (200 by default; the {@code
 * stress} profile runs 5,000); {@code -Dgradguard.scenario.seed=S} runs the one scenario drawn from
 * seed {@code S}. Every scenario runs to its end; the failure message counts the scenarios that
 * broke each invariant, names example seeds, and describes the first failing scenarios with a
 * command that reproduces each.
 */
public abstract class ScenarioKit {

    static final int DEFAULT_SCENARIOS = 200;
    static final int EXAMPLES = 3;
    static final int DESCRIBED = 4;
    static final String CONSTANTS_MANAGER = "gradguard-constants";

    private final Set<Integer> constantValues = new HashSet<>();

    /** Returns the engine name, as DJL spells it. */
    protected abstract String engineName();

    @Test
    public void everyStepOfEveryScenarioKeepsTheInvariants() {
        String single = System.getProperty("gradguard.scenario.seed", "").trim();
        long[] seeds =
                single.isEmpty()
                        ? ScenarioGenerator.seeds(
                                Integer.getInteger("gradguard.scenarios", DEFAULT_SCENARIOS))
                        : new long[] {Long.parseLong(single)};
        System.out.println("SCENARIOS " + engineName() + ": running " + seeds.length);
        ScenarioCoverage coverage = new ScenarioCoverage();
        if (!single.isEmpty()) {
            // Alone, a scenario would find the constants cache empty: warm it as a long run would.
            runScenario(ScenarioGenerator.draw(seeds[0]), new ScenarioCoverage());
        }
        Map<Invariant, List<Long>> byInvariant = new EnumMap<>(Invariant.class);
        List<String> described = new ArrayList<>();
        int failed = 0;
        long start = System.nanoTime();
        for (long seed : seeds) {
            ScenarioSpec spec = ScenarioGenerator.draw(seed);
            coverage.count(ScenarioCoverage.Event.SCENARIO);
            if (spec.model().tied()) {
                coverage.count(ScenarioCoverage.Event.TIED_MODEL);
            }
            if (spec.model().recurrent()) {
                coverage.count(ScenarioCoverage.Event.RECURRENT_MODEL);
            }
            List<Violation> violations = runScenario(spec, coverage);
            if (violations.isEmpty()) {
                continue;
            }
            failed++;
            Set<Invariant> broken = EnumSet.noneOf(Invariant.class);
            violations.forEach(v -> broken.add(v.invariant()));
            broken.forEach(i -> byInvariant.computeIfAbsent(i, k -> new ArrayList<>()).add(seed));
            String text = describe(spec, violations);
            System.out.println(text);
            if (described.size() < DESCRIBED) {
                described.add(text);
            }
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        String summary =
                String.format(
                        "SCENARIOS %s: %d run in %.1f s, %d failed%s\n  covered: %s",
                        engineName(), seeds.length, seconds, failed, counts(byInvariant), coverage);
        System.out.println(summary);
        if (seeds.length >= DEFAULT_SCENARIOS) {
            // A full run must reach every kind of step, or its passing proves little.
            for (ScenarioCoverage.Event event : ScenarioCoverage.Event.values()) {
                assertTrue(coverage.get(event) > 0, "no " + event + " in " + coverage);
            }
        }
        if (failed > 0) {
            fail(summary + "\n\n" + String.join("\n\n", described));
        }
    }

    /** Runs one scenario (and its resumed tail) and returns every violation it produced. */
    List<Violation> runScenario(ScenarioSpec spec, ScenarioCoverage coverage) {
        List<Violation> violations = new ArrayList<>();
        NDManager root;
        try (NDManager probe = NDManager.newBaseManager(Device.cpu(), engineName())) {
            root = probe.getParentManager();
        }
        Map<String, Integer> baseline = LeakKit.countByManager(root);
        Path dir = null;
        try {
            dir = spec.checkpointWindow() > 0 ? Files.createTempDirectory("gradguard-sc") : null;
            ScenarioRun.Trace whole =
                    new ScenarioRun(engineName(), spec, violations::add, coverage).run(0, dir);
            if (dir != null && whole.weights().size() > spec.checkpointWindow()) {
                checkResume(spec, whole, dir, violations);
                coverage.count(ScenarioCoverage.Event.RESUMED);
            }
        } catch (RuntimeException | IOException | AssertionError e) {
            violations.add(new Violation(Invariant.CRASH, -1, stack(e)));
        } finally {
            deleteAll(dir);
        }
        Map<String, Integer> after = LeakKit.countByManager(root);
        int constantsGrowth =
                after.getOrDefault(CONSTANTS_MANAGER, 0)
                        - baseline.getOrDefault(CONSTANTS_MANAGER, 0);
        int newValues = newConstantValues(spec);
        after.remove(CONSTANTS_MANAGER);
        baseline.remove(CONSTANTS_MANAGER);
        if (!after.equals(baseline)) {
            violations.add(
                    new Violation(
                            Invariant.LEAK,
                            -1,
                            "live arrays by manager before " + baseline + ", after " + after));
        }
        if (constantsGrowth > newValues) {
            violations.add(
                    new Violation(
                            Invariant.CONSTANTS,
                            -1,
                            CONSTANTS_MANAGER
                                    + " grew by "
                                    + constantsGrowth
                                    + " arrays, but the scenario configured only "
                                    + newValues
                                    + " values not seen before"));
        }
        return violations;
    }

    /**
     * Counts the scalar values this scenario configures that no earlier scenario in this JVM did:
     * the ones the constants cache may legitimately add (its javadoc: eps, 1, the configured
     * thresholds; here also 0, the negated threshold of value clipping and the accumulation mean
     * 1/n). A loss scale is not among them: it lives in a replaceable slot, not in the cache.
     */
    private int newConstantValues(ScenarioSpec spec) {
        float threshold = spec.strategy().threshold();
        float[] values = {1e-6f, 1f, 0f, threshold, -threshold, 1f / spec.accumulation()};
        int count = 0;
        for (float v : values) {
            if (constantValues.add(Float.floatToRawIntBits(v))) {
                count++;
            }
        }
        return count;
    }

    private void checkResume(
            ScenarioSpec spec, ScenarioRun.Trace whole, Path dir, List<Violation> violations) {
        int k = spec.checkpointWindow();
        // The resumed run's own window checks repeat the uninterrupted run's: compare traces, and
        // keep only its crashes.
        ScenarioRun.Trace resumed =
                new ScenarioRun(
                                engineName(),
                                spec,
                                v -> {
                                    if (v.invariant() == Invariant.CRASH) {
                                        violations.add(
                                                new Violation(
                                                        Invariant.CRASH,
                                                        v.window(),
                                                        "in the resumed run: " + v.detail()));
                                    }
                                },
                                new ScenarioCoverage())
                        .run(k, dir);
        int windows = whole.weights().size() - k;
        if (resumed.weights().size() != windows) {
            violations.add(
                    new Violation(
                            Invariant.RESUME,
                            k,
                            "resumed run has "
                                    + resumed.weights().size()
                                    + " windows, not "
                                    + windows));
            return;
        }
        for (int i = 0; i < windows; i++) {
            List<float[]> a = resumed.weights().get(i);
            List<float[]> b = whole.weights().get(k + i);
            for (int p = 0; p < a.size(); p++) {
                if (!WindowChecks.bitIdentical(a.get(p), b.get(p))) {
                    violations.add(
                            new Violation(
                                    Invariant.RESUME,
                                    k + i,
                                    "parameter " + p + " differs from the uninterrupted run"));
                    return;
                }
            }
            StepReport ra = resumed.reports().get(i);
            StepReport rb = whole.reports().get(k + i);
            if (ra == null ? rb != null : !ra.equals(rb)) {
                violations.add(
                        new Violation(Invariant.RESUME, k + i, "report " + ra + " vs " + rb));
                return;
            }
        }
    }

    private String describe(ScenarioSpec spec, List<Violation> violations) {
        StringBuilder sb =
                new StringBuilder("FAILED SCENARIO on ").append(engineName()).append(' ');
        sb.append(spec.describe()).append("\n  violations:");
        violations.stream().limit(12).forEach(v -> sb.append("\n    ").append(v));
        if (violations.size() > 12) {
            sb.append("\n    ... ").append(violations.size() - 12).append(" more");
        }
        sb.append("\n  reproduce: mvn -B -pl integration-tests -am verify -Dtest=")
                .append(getClass().getSimpleName())
                .append(" -Dsurefire.failIfNoSpecifiedTests=false -Dgradguard.scenario.seed=")
                .append(spec.seed());
        return sb.toString();
    }

    private static String counts(Map<Invariant, List<Long>> byInvariant) {
        StringBuilder sb = new StringBuilder();
        byInvariant.forEach(
                (invariant, seeds) ->
                        sb.append("\n  ")
                                .append(invariant)
                                .append(": ")
                                .append(seeds.size())
                                .append(" scenarios, e.g. seeds ")
                                .append(seeds.subList(0, Math.min(EXAMPLES, seeds.size()))));
        return sb.toString();
    }

    static String stack(Throwable e) {
        StackTraceElement[] frames = e.getStackTrace();
        return e + " at " + Arrays.toString(Arrays.copyOf(frames, Math.min(6, frames.length)));
    }

    private static void deleteAll(Path dir) {
        if (dir == null) {
            return;
        }
        try (var files = Files.list(dir)) {
            for (Path p : files.toList()) {
                Files.delete(p);
            }
            Files.delete(dir);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
