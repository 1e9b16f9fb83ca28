package io.gradguard.it.scenario;

import java.util.EnumMap;
import java.util.Map;

/**
 * Counts what a run of scenarios exercised, so that a run that passes because its scenarios stopped
 * reaching the interesting cases is noticed.
 */
final class ScenarioCoverage {

    /** What is counted. */
    enum Event {
        SCENARIO,
        WINDOW,
        APPLIED,
        SKIPPED,
        REFUSED,
        CLIPPED,
        FROZEN_WINDOW,
        RESUMED,
        TIED_MODEL,
        RECURRENT_MODEL
    }

    private final Map<Event, Integer> counts = new EnumMap<>(Event.class);

    void count(Event event) {
        counts.merge(event, 1, Integer::sum);
    }

    int get(Event event) {
        return counts.getOrDefault(event, 0);
    }

    @Override
    public String toString() {
        return counts.toString();
    }
}
