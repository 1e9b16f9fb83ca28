package io.gradguard.examples.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** The performance targets, checked against a filled table; unmeasured ones are reported so. */
final class Targets {

    private Targets() {}

    /**
     * Checks every target whose cells the table holds.
     *
     * @param table the results
     * @param batch the batch size of the step rows
     * @param time the sequence length of the step rows
     * @return one line per target: met, missed or not measured, with the measured value
     */
    static List<String> check(ResultTable table, int batch, int time) {
        List<String> lines = new ArrayList<>();
        lines.add(
                verdict(
                        "PyTorch fused / floor on 20 x 50000 <= 1.3",
                        table.get(
                                ClipComparison.row(
                                        GradientSet.uniform(20, 50000),
                                        ClipComparison.FUSED_OVER_FLOOR),
                                "PyTorch"),
                        v -> v <= 1.3));
        lines.add(
                verdict(
                        "PyTorch naive / fused on 1000 x 1000 >= 5",
                        table.get(
                                ClipComparison.row(
                                        GradientSet.uniform(1000, 1000),
                                        ClipComparison.NAIVE_OVER_FUSED),
                                "PyTorch"),
                        v -> v >= 5));
        lines.add(
                verdict(
                        "PyTorch full guarded step (loss scaler) <= 3% of the training step",
                        table.get(StepRows.row(batch, time, StepRows.SCALED_SHARE), "PyTorch"),
                        v -> v <= 3));
        lines.add(
                verdict(
                        "MXNet generic / fused on 100 x 10000 >= 5",
                        table.get(
                                ClipComparison.row(
                                        GradientSet.uniform(100, 10000),
                                        ClipComparison.GENERIC_OVER_FUSED),
                                "MXNet"),
                        v -> v >= 5));
        return lines;
    }

    private static String verdict(
            String target, String cell, java.util.function.DoublePredicate ok) {
        if (cell == null) {
            return "target " + target + ": not measured in this run";
        }
        double value = Double.parseDouble(cell.replace("%", "").trim());
        return String.format(
                Locale.ROOT,
                "target %s: %s (measured %s)",
                target,
                ok.test(value) ? "MET" : "MISSED",
                cell);
    }
}
