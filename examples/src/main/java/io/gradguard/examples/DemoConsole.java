package io.gradguard.examples;

import java.io.PrintWriter;
import java.util.List;
import java.util.Locale;

/** What the demo prints: the setting, each run's header and failure, and the closing verdict. */
final class DemoConsole {

    private DemoConsole() {}

    /**
     * Prints the data and model the demo trains.
     *
     * @param console where to print
     * @param data the data set
     * @param settings the settings of the first run (model, optimizer, epochs)
     * @param ampRequested whether {@code --amp} was given
     */
    static void describe(
            PrintWriter console, ChurnData data, RunSettings settings, boolean ampRequested) {
        ChurnDataSpec s = data.spec();
        console.printf(
                Locale.ROOT,
                "Churn data: %d users x %d days, %d power users (%d in training), seed %d.%n",
                s.users(),
                s.seqLen(),
                data.longTailCount(0, s.users()),
                data.longTailCount(0, s.trainUsers()),
                s.seed());
        console.printf(Locale.ROOT, "Model and training: %s.%n", modelLine(settings));
        if (ampRequested) {
            console.println(
                    "--amp: the PyTorch runs train a float16 model with LossScaler.dynamic() and"
                            + " float32 master weights; MXNet cannot create float16 arrays"
                            + " through DJL and runs in float32.");
        }
        console.flush();
    }

    /**
     * Prints the header of a run.
     *
     * @param console where to print
     * @param settings the run's settings
     */
    static void runHeader(PrintWriter console, RunSettings settings) {
        console.printf(
                "%n=== %s: %s (%s) ===%n",
                settings.engine(), settings.label(), settings.strategy());
        console.flush();
    }

    /**
     * Prints where the run's loss went non-finite and the gradient norms that preceded it.
     *
     * @param console where to print
     * @param run the finished run
     */
    static void divergence(PrintWriter console, RunResult run) {
        run.divergence()
                .ifPresentOrElse(
                        d ->
                                console.printf(
                                        Locale.ROOT,
                                        "loss: %s at batch %d (epoch %d, batch %d). Gradient"
                                                + " norm of the step before: %s; largest before:"
                                                + " %s; median of the run: %s.%n",
                                        d.loss(),
                                        d.batch(),
                                        d.epoch(),
                                        d.batchInEpoch(),
                                        SummaryTable.number(d.normBefore()),
                                        SummaryTable.number(d.largestNormBefore()),
                                        SummaryTable.number(run.norms().median())),
                        () ->
                                console.printf(
                                        "The loss stayed finite (max gradient norm %s).%n",
                                        SummaryTable.number(run.norms().max())));
        console.flush();
    }

    /**
     * Prints the verdict when the story holds, and a reminder when a guarded run's training loss
     * stayed well above its ordinary users' validation loss (the power users' share).
     *
     * @param console where to print
     * @param results all runs
     */
    static void storyHolds(PrintWriter console, List<RunResult> results) {
        console.println(
                "The story holds: without clipping the loss went NaN; with clipping the model"
                        + " trained to a finite loss.");
        boolean powerUsersMisfit =
                results.stream()
                        .filter(RunResult::finishedFinite)
                        .anyMatch(r -> r.finalTrainLoss() > 1.5 * r.ordinaryValidationLoss());
        if (powerUsersMisfit) {
            console.println(
                    "Clipping keeps training alive but does not repair the data: power users'"
                            + " logits still grow with their event counts, which is why a guarded"
                            + " training loss stays above the ordinary users' validation loss."
                            + " Fix the mask (0/1, not counts).");
        }
        console.flush();
    }

    /**
     * Returns the content of {@code summary.md}.
     *
     * @param table the summary table
     * @param data the data set
     * @param guarded the settings of a guarded run
     * @return the Markdown text
     */
    static String markdown(SummaryTable table, ChurnData data, RunSettings guarded) {
        ChurnDataSpec s = data.spec();
        return "# GradGuard churn demo\n\n"
                + String.format(
                        Locale.ROOT,
                        "%d users x %d days (%d power users), seed %d. %s. Guarded: %s.%n%n",
                        s.users(),
                        s.seqLen(),
                        data.longTailCount(0, s.users()),
                        s.seed(),
                        modelLine(guarded),
                        guarded.strategy())
                + table.toMarkdown();
    }

    /**
     * Returns a file-name-safe name of a run, such as {@code "pytorch-guarded"}.
     *
     * @param run the run
     * @return the name
     */
    static String runName(RunResult run) {
        return run.settings().engine().toLowerCase(Locale.ROOT) + "-" + run.settings().label();
    }

    private static String modelLine(RunSettings s) {
        return String.format(
                Locale.ROOT,
                "embedding %d, %d-layer LSTM %d, dropout %.1f, one logit (sigmoid cross-entropy"
                        + " on logits); %s lr %s, batch %d, %d epoch(s)%s",
                s.hidden(),
                s.layers(),
                s.hidden(),
                s.dropRate(),
                s.optimizer().cliName(),
                s.learningRate(),
                s.batchSize(),
                s.epochs(),
                s.accumulationSteps() > 1
                        ? ", " + s.accumulationSteps() + " micro-batches per step"
                        : "");
    }
}
