package io.gradguard.examples.finetune;

import io.gradguard.StepDetails;
import io.gradguard.StepReport;
import io.gradguard.clip.ClipStrategy;
import io.gradguard.observe.NormChart;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The run's summary: per unfreezing phase the loss, skipped steps, the loss scale and the clip
 * rate, the loss-scale changes, and a chart of the pre-clip norm with the threshold and the loss
 * scale ({@link NormChart}).
 */
final class FineTuneSummary {

    static final String MARKDOWN = "summary.md";
    static final String CHART = "finetune-norms.png";
    private static final int MAX_SCALE_CHANGES = 20;

    private FineTuneSummary() {}

    /** Writes {@value #MARKDOWN} and {@value #CHART} into the output directory. */
    static String write(FineTuneResult result) throws IOException {
        Path out = result.settings().out();
        Files.createDirectories(out);
        String markdown = markdown(result);
        Files.writeString(out.resolve(MARKDOWN), markdown, StandardCharsets.UTF_8);
        if (!result.steps().isEmpty()) {
            NormChart chart =
                    NormChart.builder()
                            .setOutput(out.resolve(CHART))
                            .optThreshold(ClipStrategy.globalNorm(result.settings().maxNorm()))
                            .optLogScale(true)
                            .optWriteOnTrainingEnd(false)
                            .build();
            for (StepRecord step : result.steps()) {
                chart.onStep(step.report(), StepDetails.none());
            }
            chart.write();
        }
        return markdown;
    }

    static String markdown(FineTuneResult result) {
        StringBuilder md = new StringBuilder("# Fine-tuning summary\n\n");
        md.append(result.settings().describe()).append(".\n\n");
        if (result.pretrainedNow()) {
            md.append("The backbone was pretrained and saved by this run (first run).\n\n");
        }
        if (result.firstStep() > 0) {
            md.append("Resumed from the checkpoint of step ")
                    .append(result.firstStep())
                    .append("; the table covers the steps run since.\n\n");
        }
        md.append(
                "| phase | steps | trainable parameters | loss (first 5 → last 5 steps) | skipped"
                        + " | clipped / applied | loss scale (start → end) |\n");
        md.append("|---|---|---|---|---|---|---|\n");
        for (Phase phase : Phase.values()) {
            List<StepRecord> steps =
                    result.steps().stream().filter(s -> s.phase() == phase).toList();
            if (!steps.isEmpty()) {
                md.append(row(phase, steps)).append('\n');
            }
        }
        md.append("\n## Loss-scale changes\n\n");
        List<String> changes = scaleChanges(result.steps());
        if (changes.isEmpty()) {
            md.append("None").append(result.settings().float16() ? "." : " (no loss scaling).");
            md.append('\n');
        } else {
            changes.forEach(c -> md.append("- ").append(c).append('\n'));
        }
        md.append("\nChart of the pre-clip norm, the threshold and the loss scale: `")
                .append(CHART)
                .append("`.\n");
        return md.toString();
    }

    private static String row(Phase phase, List<StepRecord> steps) {
        int skipped = 0;
        int clipped = 0;
        for (StepRecord s : steps) {
            skipped += s.report().skipped() ? 1 : 0;
            clipped += !s.report().skipped() && s.report().clipped() ? 1 : 0;
        }
        int applied = steps.size() - skipped;
        String rate =
                applied == 0
                        ? "–"
                        : String.format(
                                Locale.ROOT,
                                "%d / %d (%.0f%%)",
                                clipped,
                                applied,
                                100.0 * clipped / applied);
        return String.format(
                Locale.ROOT,
                "| %s | %d–%d | %d | %.4f → %.4f | %d | %s | %s → %s |",
                phase.label(),
                steps.get(0).report().step(),
                steps.get(steps.size() - 1).report().step(),
                steps.get(steps.size() - 1).trainable(),
                meanLoss(steps.subList(0, Math.min(5, steps.size()))),
                meanLoss(steps.subList(Math.max(0, steps.size() - 5), steps.size())),
                skipped,
                rate,
                scale(steps.get(0).report().lossScale()),
                scale(steps.get(steps.size() - 1).report().lossScale()));
    }

    private static double meanLoss(List<StepRecord> steps) {
        double sum = 0;
        int n = 0;
        for (StepRecord s : steps) {
            if (Float.isFinite(s.loss())) {
                sum += s.loss();
                n++;
            }
        }
        return n == 0 ? Double.NaN : sum / n;
    }

    /** Each change of the scale used by consecutive steps, as "step N: A → B". */
    static List<String> scaleChanges(List<StepRecord> steps) {
        List<String> changes = new ArrayList<>();
        for (int i = 1; i < steps.size(); i++) {
            StepReport before = steps.get(i - 1).report();
            StepReport now = steps.get(i).report();
            if (before.lossScale() != now.lossScale()) {
                if (changes.size() == MAX_SCALE_CHANGES) {
                    changes.add("…");
                    break;
                }
                changes.add(
                        "step "
                                + now.step()
                                + ": "
                                + scale(before.lossScale())
                                + " → "
                                + scale(now.lossScale())
                                + (before.skipped() ? " (after a skipped step)" : " (growth)"));
            }
        }
        return changes;
    }

    private static String scale(float scale) {
        return scale == Math.rint(scale) && Math.abs(scale) < 1e9
                ? Long.toString((long) scale)
                : Float.toString(scale);
    }
}
