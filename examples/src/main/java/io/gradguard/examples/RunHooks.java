package io.gradguard.examples;

import io.gradguard.StepObserver;
import java.util.List;

/**
 * What a training run carries besides its settings: extra step observers on its guard (alerts,
 * forensics) and whether DJL's progress bars and epoch logs are shown.
 *
 * @param observers observers added to the run's guard, in order; they see every step with its
 *     details (parameter norms, dataset indices)
 * @param progress whether to install DJL's logging listeners (progress bars and epoch summaries)
 */
public record RunHooks(List<StepObserver> observers, boolean progress) {

    /**
     * Copies the observer list.
     *
     * @param observers the record component {@code observers}
     * @param progress the record component {@code progress}
     */
    public RunHooks {
        observers = List.copyOf(observers);
    }

    /**
     * Returns hooks with no observers and no progress output.
     *
     * @return the quiet hooks
     */
    public static RunHooks quiet() {
        return new RunHooks(List.of(), false);
    }

    /**
     * Returns these hooks with other observers.
     *
     * @param newObservers the observers
     * @return the new hooks
     */
    public RunHooks withObservers(List<StepObserver> newObservers) {
        return new RunHooks(newObservers, progress);
    }
}
