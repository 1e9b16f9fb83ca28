package io.gradguard.it;

import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;

/** Which steps of a run carry which fault; seeded, so every run of a test plants the same ones. */
final class FaultPlan {

    private final Map<Integer, Fault> faults;

    private FaultPlan(Map<Integer, Fault> faults) {
        this.faults = Collections.unmodifiableMap(new TreeMap<>(faults));
    }

    /**
     * Chooses exactly {@code round(steps * rate)} distinct steps with a seeded shuffle and gives
     * them the classes in turn (so every class gets its share), each with a seeded parameter and
     * element.
     */
    static FaultPlan seeded(long seed, int steps, double rate, List<FaultClass> classes) {
        Random random = new Random(seed);
        List<Integer> order = new ArrayList<>(steps);
        for (int i = 0; i < steps; i++) {
            order.add(i);
        }
        Collections.shuffle(order, random);
        int count = (int) Math.round(steps * rate);
        Map<Integer, Fault> faults = new TreeMap<>();
        for (int k = 0; k < count; k++) {
            FaultClass type = classes.get(k % classes.size());
            faults.put(
                    order.get(k),
                    new Fault(type, random.nextInt(1 << 20), random.nextInt(Integer.MAX_VALUE)));
        }
        return new FaultPlan(faults);
    }

    /** A plan with the given faults at the given steps. */
    static FaultPlan of(Map<Integer, Fault> faults) {
        return new FaultPlan(faults);
    }

    Fault at(int step) {
        return faults.get(step);
    }

    Map<Integer, Fault> all() {
        return faults;
    }

    /** The steps whose fault is non-finite: the ones the guard must skip. */
    Set<Integer> nonFiniteSteps() {
        return faults.entrySet().stream()
                .filter(e -> !e.getValue().type().isFinite())
                .map(Map.Entry::getKey)
                .collect(Collectors.toSet());
    }

    /** How many faults of each class the plan holds. */
    Map<FaultClass, Integer> counts() {
        Map<FaultClass, Integer> counts = new EnumMap<>(FaultClass.class);
        for (Fault f : faults.values()) {
            counts.merge(f.type(), 1, Integer::sum);
        }
        return counts;
    }
}
