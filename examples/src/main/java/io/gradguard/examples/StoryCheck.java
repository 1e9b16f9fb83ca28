package io.gradguard.examples;

import java.util.ArrayList;
import java.util.List;

/** Decides whether a pair of runs tells the demo's story, and says why not. */
final class StoryCheck {

    private StoryCheck() {}

    /**
     * Returns what is wrong with the story told by {@code unguarded} and {@code guarded} on one
     * engine: empty when the unguarded run's loss went non-finite and the guarded run finished
     * finite.
     *
     * @param unguarded the run without clipping
     * @param guarded the run with clipping
     * @return the problems, one sentence each
     */
    static List<String> problems(RunResult unguarded, RunResult guarded) {
        List<String> problems = new ArrayList<>();
        String engine = unguarded.settings().engine();
        if (unguarded.divergence().isEmpty()) {
            String why =
                    unguarded.settings().optimizer() == OptimizerChoice.ADAMW
                            ? " AdamW bounds every coordinate's step whatever the gradient, so"
                                    + " finite spikes do not overflow it; use --optimizer sgd."
                            : " Try more --epochs, a larger --learning-rate or"
                                    + " --long-tail-share.";
            problems.add(
                    "Story does not hold on "
                            + engine
                            + ": the unguarded run stayed finite for "
                            + unguarded.batches()
                            + " batches."
                            + why);
        }
        if (!guarded.finishedFinite()) {
            problems.add(
                    "Story does not hold on "
                            + engine
                            + ": the guarded run ("
                            + guarded.settings().strategy()
                            + ") did not finish finite.");
        }
        return problems;
    }
}
