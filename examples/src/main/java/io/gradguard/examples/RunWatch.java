package io.gradguard.examples;

import io.gradguard.StepObserver;
import io.gradguard.event.AlertEvent;
import io.gradguard.event.GuardEventPublisher;
import io.gradguard.micrometer.GradGuardMetrics;
import io.gradguard.observe.ClipRateMonitor;
import io.gradguard.observe.SpikeForensics;
import io.gradguard.observe.SpikeSummary;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * What watches one guarded run: a {@link ClipRateMonitor} that alerts when more than {@value
 * #ALERT_RATE} of the last {@value #ALERT_WINDOW} optimizer steps were clipped, and {@link
 * SpikeForensics} with its defaults, which captures each spike's dataset indices. One watch per
 * run.
 */
final class RunWatch {

    /** The rolling window of the clip-rate alert, in optimizer steps. */
    static final int ALERT_WINDOW = 100;

    /** The clip rate above which the alert fires. */
    static final double ALERT_RATE = 0.10;

    /** The percentile of recent non-spike norms that a spike is measured against. */
    static final double SPIKE_PERCENTILE = 50;

    /** How many times {@link #SPIKE_PERCENTILE} a norm must exceed to be a spike. */
    static final double SPIKE_FACTOR = 10;

    private final List<AlertEvent> alerts = new ArrayList<>();
    private final ClipRateMonitor monitor;
    private final SpikeForensics forensics;
    private final GradGuardMetrics metrics;

    /**
     * Creates a watch with no alerts yet.
     *
     * @param metrics where the run's meters go, or null for none
     */
    RunWatch(GradGuardMetrics metrics) {
        this.metrics = metrics;
        GuardEventPublisher events =
                new GuardEventPublisher()
                        .onAlert(
                                alert -> {
                                    if (alert.kind() == AlertEvent.Kind.CLIP_RATE) {
                                        alerts.add(alert);
                                    }
                                    if (metrics != null) {
                                        metrics.recordAlert(alert);
                                    }
                                });
        monitor =
                ClipRateMonitor.builder()
                        .optWindow(ALERT_WINDOW)
                        .optThreshold(ALERT_RATE)
                        .optPublisher(events)
                        .build();
        forensics =
                SpikeForensics.builder()
                        .optPercentile(SPIKE_PERCENTILE)
                        .optFactor(SPIKE_FACTOR)
                        .build();
    }

    /**
     * Returns the observers to add to the run's guard.
     *
     * @return the monitor, the forensics, then the meters if any
     */
    List<StepObserver> observers() {
        return metrics == null ? List.of(monitor, forensics) : List.of(monitor, forensics, metrics);
    }

    /**
     * Returns the first clip-rate alert of the run.
     *
     * @return the alert, or empty if the rate never crossed the threshold
     */
    Optional<AlertEvent> firstAlert() {
        return alerts.stream().findFirst();
    }

    /**
     * Returns how many clip-rate alert episodes started.
     *
     * @return the number of alerts
     */
    int alertCount() {
        return alerts.size();
    }

    /**
     * Returns the run's spikes and their classification.
     *
     * @return the forensics' summary
     */
    SpikeSummary spikes() {
        return forensics.summary();
    }
}
