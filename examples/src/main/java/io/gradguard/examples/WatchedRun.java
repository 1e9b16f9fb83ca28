package io.gradguard.examples;

import io.gradguard.event.AlertEvent;
import io.gradguard.observe.SpikeSummary;
import java.util.Optional;

/**
 * A guarded run with what its watch saw.
 *
 * @param result the run's result
 * @param alert the first clip-rate alert, if one fired
 * @param alerts how many clip-rate alert episodes started
 * @param spikes the spike forensics' summary
 */
public record WatchedRun(
        RunResult result, Optional<AlertEvent> alert, int alerts, SpikeSummary spikes) {

    /**
     * Returns whether a clip-rate alert fired.
     *
     * @return true if at least one did
     */
    public boolean alerted() {
        return alert.isPresent();
    }
}
