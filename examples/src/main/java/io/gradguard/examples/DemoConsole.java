package io.gradguard.examples;

import java.util.Locale;

/** The demo's setting in words, and the file-name-safe names of its runs. */
final class DemoConsole {

    private DemoConsole() {}

    /**
     * Returns the data and model the demo trains, in a few lines.
     *
     * @param data the data set
     * @param settings the settings of the first run (model, optimizer, epochs)
     * @param ampRequested whether {@code --amp} was given
     * @return the text, ending with a newline
     */
    static String setting(ChurnData data, RunSettings settings, boolean ampRequested) {
        ChurnDataSpec s = data.spec();
        String text =
                String.format(
                        Locale.ROOT,
                        "Churn data: %d users x %d days, %d power users (%d in training), seed"
                                + " %d.%nModel and training: %s.%n",
                        s.users(),
                        s.seqLen(),
                        data.longTailCount(0, s.users()),
                        data.longTailCount(0, s.trainUsers()),
                        s.seed(),
                        modelLine(settings));
        if (ampRequested) {
            text +=
                    "--amp: the PyTorch runs train a float16 model with LossScaler.dynamic() and"
                            + " float32 master weights; MXNet cannot create float16 arrays"
                            + " through DJL and runs in float32.\n";
        }
        return text;
    }

    /**
     * Returns a file-name-safe name of a run, such as {@code "pytorch-clip-p98"}.
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
