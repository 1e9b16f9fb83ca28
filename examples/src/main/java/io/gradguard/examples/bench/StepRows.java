package io.gradguard.examples.bench;

import java.util.Locale;

/** Writes the training-step rows of one engine into the table. */
final class StepRows {

    static final String PLAIN = "plain";
    static final String CLIP = "with clip guard";
    static final String SCALED = "with clip guard + loss scaler";
    static final String CLIP_ALONE = "clip guard alone";
    static final String SCALED_ALONE = "clip guard + loss scaler alone";
    static final String CLIP_OPS = "clip guard: in GradientOps";
    static final String SCALED_OPS = "guard + loss scaler: in GradientOps";
    static final String CLIP_SHARE = "clip guard / plain step";
    static final String SCALED_SHARE = "guard + loss scaler / plain step";
    static final String CLIP_EXTRA = "(clip step - plain) / plain";
    static final String SCALED_EXTRA = "(scaled step - plain) / plain";
    static final String CLIP_COMPOSED = "clip guard alone, separate calls";
    static final String SCALED_COMPOSED = "clip guard + loss scaler alone, separate calls";
    static final String CLIP_ONE_CALL = "clip guard: one call / separate calls";
    static final String SCALED_ONE_CALL = "guard + loss scaler: one call / separate calls";

    private StepRows() {}

    /**
     * Returns the row label of a step measurement.
     *
     * @param batch sequences per batch
     * @param time events per sequence
     * @param what one of the constants of this class
     * @return the label
     */
    static String row(int batch, int time, String what) {
        return "LSTM step " + batch + "x" + time + ": " + what;
    }

    /**
     * Adds the rows.
     *
     * @param table the table
     * @param engineName the column
     * @param r the measurements
     * @param batch sequences per batch
     * @param time events per sequence
     */
    static void add(ResultTable table, String engineName, StepTimer.Result r, int batch, int time) {
        double plain = r.plain().median();
        table.put(row(batch, time, PLAIN), engineName, r.plain().format());
        table.put(row(batch, time, CLIP), engineName, r.clip().format());
        table.put(row(batch, time, SCALED), engineName, r.scaled().format());
        table.put(row(batch, time, CLIP_ALONE), engineName, r.clipGuard().format());
        table.put(row(batch, time, CLIP_OPS), engineName, r.clipOps().format());
        table.put(row(batch, time, SCALED_ALONE), engineName, r.scaledGuard().format());
        table.put(row(batch, time, SCALED_OPS), engineName, r.scaledOps().format());
        table.put(
                row(batch, time, CLIP_SHARE), engineName, percent(r.clipGuard().median() / plain));
        table.put(
                row(batch, time, SCALED_SHARE),
                engineName,
                percent(r.scaledGuard().median() / plain));
        table.put(row(batch, time, CLIP_COMPOSED), engineName, r.clipGuardComposed().format());
        table.put(row(batch, time, SCALED_COMPOSED), engineName, r.scaledGuardComposed().format());
        table.put(
                row(batch, time, CLIP_ONE_CALL),
                engineName,
                ratio(r.clipGuard().median() / r.clipGuardComposed().median()));
        table.put(
                row(batch, time, SCALED_ONE_CALL),
                engineName,
                ratio(r.scaledGuard().median() / r.scaledGuardComposed().median()));
        table.put(
                row(batch, time, CLIP_EXTRA),
                engineName,
                percent((r.clip().median() - plain) / plain));
        table.put(
                row(batch, time, SCALED_EXTRA),
                engineName,
                percent((r.scaled().median() - plain) / plain));
    }

    /**
     * Formats a ratio with two decimals.
     *
     * @param value the ratio
     * @return such as {@code "0.85"}
     */
    static String ratio(double value) {
        return String.format(Locale.ROOT, "%.2f", value);
    }

    /**
     * Formats a fraction as a percentage with one decimal.
     *
     * @param fraction the fraction
     * @return such as {@code "1.2%"}
     */
    static String percent(double fraction) {
        return String.format(Locale.ROOT, "%.1f%%", fraction * 100);
    }
}
