package io.gradguard.examples;

import io.gradguard.observe.SpikeCause;
import java.util.ArrayList;
import java.util.List;

/** Decides whether one engine's runs tell the demo's story, and names each point that fails. */
final class StoryCheck {

    private StoryCheck() {}

    /**
     * Returns what is wrong with the story on one engine: empty when the unguarded run's loss went
     * non-finite, every clipped run finished finite, the clip-rate alert fired on the buggy data
     * and not on the fixed data, the spikes were classified as {@link SpikeCause#DATA}, and the fix
     * lowered the clip rate without lowering the validation AUC.
     *
     * @param story the engine's story
     * @return the problems, one sentence each, naming the failing point
     */
    static List<String> problems(EngineStory story) {
        List<String> problems = new ArrayList<>();
        RunResult unguarded = story.unguarded();
        RunResult guarded = story.guarded().result();
        RunResult fixed = story.fixed().result();
        String engine = unguarded.settings().engine();
        String prefix = "Story does not hold on " + engine + ": ";
        if (unguarded.divergence().isEmpty()) {
            String why =
                    unguarded.settings().optimizer() == OptimizerChoice.ADAMW
                            ? " AdamW bounds every coordinate's step whatever the gradient, so"
                                    + " finite spikes do not overflow it; use --optimizer sgd."
                            : " Try more --epochs, a larger --learning-rate or"
                                    + " --long-tail-share.";
            problems.add(
                    prefix
                            + "(clip) the unguarded run stayed finite for "
                            + unguarded.batches()
                            + " batches."
                            + why);
        }
        for (RunResult clipped : story.runs().subList(1, story.runs().size())) {
            if (!clipped.finishedFinite()) {
                problems.add(
                        prefix
                                + "(clip) the "
                                + clipped.settings().label()
                                + " run ("
                                + clipped.settings().strategy()
                                + ") did not finish finite.");
            }
        }
        if (!story.guarded().alerted()) {
            problems.add(
                    prefix
                            + "(alert) no clip-rate alert on the buggy data: "
                            + guarded.statistics().clippedSteps()
                            + " of "
                            + guarded.statistics().steps()
                            + " steps clipped"
                            + (guarded.statistics().steps() < RunWatch.ALERT_WINDOW
                                    ? " (fewer steps than the alert's window of "
                                            + RunWatch.ALERT_WINDOW
                                            + ")."
                                    : "."));
        }
        if (story.fixed().alerted()) {
            problems.add(
                    prefix
                            + "(fix) the clip-rate alert fired on the fixed data: "
                            + StoryText.alertText(story.fixed().alert())
                            + ".");
        }
        if (!story.guarded().spikes().causes().contains(SpikeCause.DATA)) {
            problems.add(
                    prefix
                            + "(diagnose) the spikes were not classified as data: causes "
                            + story.guarded().spikes().causes()
                            + ", "
                            + story.guarded().spikes().spikeCount()
                            + " spikes.");
        }
        if (!(fixed.statistics().clipRate() < guarded.statistics().clipRate())) {
            problems.add(
                    String.format(
                            java.util.Locale.ROOT,
                            "%s(fix) the fixed mask did not lower the clip rate: %.1f%% after,"
                                    + " %.1f%% before.",
                            prefix,
                            100 * fixed.statistics().clipRate(),
                            100 * guarded.statistics().clipRate()));
        }
        if (!(fixed.validationAuc() >= guarded.validationAuc())) {
            problems.add(
                    String.format(
                            java.util.Locale.ROOT,
                            "%s(fix) the fixed mask lowered the validation AUC: %.3f after, %.3f"
                                    + " before.",
                            prefix,
                            fixed.validationAuc(),
                            guarded.validationAuc()));
        }
        return problems;
    }
}
