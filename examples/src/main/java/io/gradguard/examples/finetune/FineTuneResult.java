package io.gradguard.examples.finetune;

import java.util.List;
import java.util.Map;

/**
 * What a fine-tuning run did.
 *
 * @param settings the run's settings
 * @param firstStep the step it started from (0, or the checkpoint it resumed from)
 * @param steps the steps it ran, in order
 * @param finalState each parameter's final values (as float32) by name, and each float32 master
 *     weight under {@code name + "#master"}
 * @param pretrainedNow whether this run trained and saved the backbone first
 */
record FineTuneResult(
        FineTuneSettings settings,
        long firstStep,
        List<StepRecord> steps,
        Map<String, float[]> finalState,
        boolean pretrainedNow) {

    /** Returns the step after the last one run. */
    long endStep() {
        return firstStep + steps.size();
    }
}
