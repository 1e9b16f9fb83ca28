package io.gradguard.examples.finetune;

import static org.testng.Assert.assertEquals;
import static org.testng.Assert.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.Parameter;
import ai.djl.training.Trainer;
import ai.djl.util.Pair;
import io.gradguard.StepReport;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.testng.annotations.DataProvider;
import org.testng.annotations.Test;

/**
 * Every unfreezing phase's reported norm covers exactly the parameters being trained. After the
 * guard has unscaled and clipped a batch's gradients (by {@code c = coefficient}), the host
 * computes the L2 norm over the gradients of exactly the parameters that require a gradient; it
 * must equal {@code c × totalNorm}, the guard's pre-clip norm times its coefficient. A guard that
 * missed newly unfrozen parameters (or kept frozen ones) would report the norm of another set, and
 * would leave the missed gradients unclipped and unscaled, so the two would differ by far more than
 * rounding.
 */
public class FineTunePhasesTest {

    @DataProvider
    public Object[][] runs() {
        return new Object[][] {{"PyTorch", true}, {"PyTorch", false}, {"MXNet", false}};
    }

    @Test(dataProvider = "runs")
    public void eachPhaseNormCoversExactlyTheTrainedParameters(String engine, boolean float16)
            throws IOException {
        Path out = FineTuneRuns.tempDir("gradguard-finetune-phases");
        List<String> mismatches = new ArrayList<>();
        int[] checked = new int[Phase.values().length];
        try {
            FineTuneResult result =
                    FineTuneRuns.run(
                            FineTuneRuns.settings(engine, float16, true, out, 0, false),
                            (trainer, report) -> {
                                if (report.skipped()) {
                                    return; // non-finite gradients: nothing to compare
                                }
                                double host = hostNorm(trainer);
                                double guard = (double) report.totalNorm() * report.coefficient();
                                // float16 gradients carry relative rounding errors near 2^-11.
                                double tolerance = (float16 ? 2e-3 : 1e-5) * guard + 1e-7;
                                if (!(Math.abs(host - guard) <= tolerance)) {
                                    mismatches.add(describe(report, host, guard));
                                }
                                checked[
                                        Phase.at(report.step(), FineTuneRuns.STEPS_PER_PHASE)
                                                .ordinal()]++;
                            });
            assertTrue(mismatches.isEmpty(), String.join("\n", mismatches));
            for (Phase phase : Phase.values()) {
                assertTrue(
                        checked[phase.ordinal()] >= 3,
                        phase + " checked " + checked[phase.ordinal()]);
            }
            // head: weight and bias; + the top layer's two; + the rest of the backbone's four.
            int[] expected = {2, 4, 8};
            for (StepRecord step : result.steps()) {
                assertEquals(step.trainable(), expected[step.phase().ordinal()], step.phase() + "");
            }
        } finally {
            FineTuneRuns.deleteTree(out);
        }
    }

    /** The L2 norm of the gradients of exactly the parameters that require one, in double. */
    private static double hostNorm(Trainer trainer) {
        double sum = 0;
        for (Pair<String, Parameter> pair : trainer.getModel().getBlock().getParameters()) {
            Parameter p = pair.getValue();
            if (!p.requiresGradient()) {
                continue;
            }
            try (NDArray grad = p.getArray().getGradient();
                    NDArray grad32 = grad.toType(DataType.FLOAT32, true)) {
                for (float g : grad32.toFloatArray()) {
                    sum += (double) g * g;
                }
            }
        }
        return Math.sqrt(sum);
    }

    private static String describe(StepReport report, double host, double guard) {
        return "step "
                + report.step()
                + ": host norm of the trainable gradients "
                + host
                + ", guard's totalNorm × coefficient "
                + guard;
    }
}
