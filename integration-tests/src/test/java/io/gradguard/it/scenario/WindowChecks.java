package io.gradguard.it.scenario;

import io.gradguard.NonFinitePolicy;
import io.gradguard.StepReport;
import io.gradguard.it.scenario.ScenarioSpec.StrategyChoice;
import java.util.List;
import java.util.function.Consumer;

/**
 * Checks one optimizer step of a scenario against host-side arithmetic on the gradients the probe
 * read and the weights before and after; none of the guard's own math is reused.
 *
 * <p>Reference values: the true gradient of a window is {@code g / (S * n)} where {@code g} is the
 * accumulated gradient the probe read, {@code S} the loss scale of the step (a power of two, so the
 * division is exact) and {@code n} the number of micro-batches. It is non-finite when some element
 * of {@code g * fp32(1/S)} is NaN or infinite in float32 (the unscale can overflow when {@code S <
 * 1}). Norms are summed in double.
 */
final class WindowChecks {

    /** Relative tolerance of norm comparisons and update bounds. */
    static final double RTOL = 1e-5;

    /**
     * What one window left behind.
     *
     * @param window the optimizer step index
     * @param before the distinct parameters' values before the window
     * @param after their values after the window's last {@code Trainer.step()}
     * @param trainable which distinct parameters required a gradient during the window
     * @param scale the loss scale the window's losses were multiplied by (1 without a scaler)
     * @param gradients the probe's reading (null entries for frozen parameters), or null
     * @param report the guard's report of the step, or null
     * @param refused whether the guard threw {@code NonFiniteGradientException}
     */
    record Observation(
            int window,
            List<float[]> before,
            List<float[]> after,
            boolean[] trainable,
            float scale,
            List<float[]> gradients,
            StepReport report,
            boolean refused,
            boolean lossNonFinite) {}

    private final ScenarioSpec spec;
    private final Consumer<Violation> sink;

    WindowChecks(ScenarioSpec spec, Consumer<Violation> sink) {
        this.spec = spec;
        this.sink = sink;
    }

    void check(Observation o) {
        if (o.gradients() == null) {
            fail(Invariant.DECISION, o, "the probe read no gradients at the window's end");
            return;
        }
        float scale = o.scale();
        boolean nonFinite = nonFinite(o.gradients(), scale) || o.lossNonFinite();
        boolean stale = o.report() != null && o.report().step() != o.window();
        if (stale) {
            // The guard published nothing for this step: the latest report is an older one.
            fail(Invariant.DECISION, o, "no report for this step; the latest is " + o.report());
            o = withoutReport(o);
        }
        checkDecision(o, nonFinite, stale);
        if (spec.policy() != NonFinitePolicy.PROPAGATE) {
            for (float[] values : o.after()) {
                if (!allFinite(values)) {
                    fail(
                            Invariant.FINITE_WEIGHTS,
                            o,
                            "a weight is non-finite under " + spec.policy());
                    break;
                }
            }
        }
        boolean skipped = o.refused() || (o.report() != null && o.report().skipped());
        for (int p = 0; p < o.after().size(); p++) {
            if ((skipped || !o.trainable()[p])
                    && !bitIdentical(o.before().get(p), o.after().get(p))) {
                String why = skipped ? "the step was skipped" : "the parameter was frozen";
                fail(Invariant.UNCHANGED_WEIGHTS, o, "parameter " + p + " changed but " + why);
            }
        }
        if (o.report() == null || o.refused() || nonFinite) {
            return;
        }
        double reference = meanNorm(o.gradients(), scale, spec.accumulation());
        float reported = o.report().totalNorm();
        // PyTorch's clip_grad_norm_ sums squares in float32 (torch 1.13 on CPU returns inf for a
        // gradient holding 1e30, and multiplies by 0): so must the guard, once the sum of squares
        // passes Float.MAX_VALUE.
        boolean overflows = reference * reference > Float.MAX_VALUE;
        if (overflows != !Float.isFinite(reported)) {
            fail(
                    Invariant.NORM_OVERFLOW,
                    o,
                    "reported " + reported + " for finite gradients of norm " + reference);
        } else if (!overflows && !(Math.abs(reported - reference) <= RTOL * reference)) {
            fail(
                    Invariant.NORM,
                    o,
                    "reported "
                            + reported
                            + ", host reference "
                            + reference
                            + " (S="
                            + scale
                            + ", n="
                            + spec.accumulation()
                            + ")");
        }
        if (!spec.optimizer().adam() && !skipped) {
            checkUpdate(o, reference);
        }
    }

    private static Observation withoutReport(Observation o) {
        return new Observation(
                o.window(),
                o.before(),
                o.after(),
                o.trainable(),
                o.scale(),
                o.gradients(),
                null,
                o.refused(),
                o.lossNonFinite());
    }

    private void checkDecision(Observation o, boolean nonFinite, boolean staleReport) {
        boolean error = spec.policy() == NonFinitePolicy.ERROR;
        if (o.refused() != (error && nonFinite)) {
            fail(
                    Invariant.DECISION,
                    o,
                    o.refused()
                            ? "NonFiniteGradientException on finite gradients"
                            : "no NonFiniteGradientException on non-finite gradients");
            return;
        }
        if (o.refused()) {
            return;
        }
        StepReport r = o.report();
        if (r == null) {
            if (!staleReport) {
                fail(Invariant.DECISION, o, "no step report");
            }
            return;
        }
        boolean expectSkip = nonFinite && spec.policy() == NonFinitePolicy.SKIP_STEP;
        boolean flagKnown =
                spec.policy() != NonFinitePolicy.PROPAGATE
                        || spec.scaler().kind() != ScenarioSpec.ScalerChoice.Kind.NONE;
        // The loss is always a ScaledLoss, so the guard tells a non-finite loss (a data fault)
        // apart; without a check (PROPAGATE, no scaler) it reports one only from a read norm.
        if (r.skipped() != expectSkip
                || (flagKnown && r.nonFinite() != nonFinite)
                || (flagKnown && r.dataFault() != o.lossNonFinite())
                || r.lossScale() != o.scale()
                || r.step() != o.window()
                || r.microBatches() != spec.accumulation()) {
            fail(
                    Invariant.DECISION,
                    o,
                    "host sees nonFinite="
                            + nonFinite
                            + ", expected skipped="
                            + expectSkip
                            + ", step="
                            + o.window()
                            + ", microBatches="
                            + spec.accumulation()
                            + ", lossScale="
                            + o.scale()
                            + "; report "
                            + r);
        }
    }

    /**
     * Plain SGD moves each weight by {@code -lr * g'} (g' the clipped gradient), rounded once to
     * float32: the measured move differs from {@code lr * g'} by at most one ulp of each new weight
     * ({@link #roundingSlack}) besides the relative rounding of {@code lr * g'}.
     */
    private void checkUpdate(Observation o, double trueNorm) {
        for (float[] values : o.before()) {
            if (!allFinite(values)) {
                return; // PROPAGATE let NaN in earlier: there is no update to bound
            }
        }
        double lr = spec.optimizer().learningRate();
        StrategyChoice strategy = spec.strategy();
        double c = strategy.threshold();
        switch (strategy.kind()) {
            case GLOBAL_NORM -> {
                double moved = distance(o.before(), o.after());
                double bound = lr * c * (1 + RTOL) + roundingSlack(o.after());
                if (!(moved <= bound)) {
                    fail(Invariant.UPDATE_BOUND, o, "moved " + moved + " > lr*c = " + bound);
                }
            }
            case PER_PARAMETER_NORM -> {
                for (int p = 0; p < o.after().size(); p++) {
                    double moved = distance(List.of(o.before().get(p)), List.of(o.after().get(p)));
                    double bound = lr * c * (1 + RTOL) + roundingSlack(List.of(o.after().get(p)));
                    if (!(moved <= bound)) {
                        fail(
                                Invariant.UPDATE_BOUND,
                                o,
                                "parameter " + p + " moved " + moved + " > lr*c = " + bound);
                    }
                }
            }
            case VALUE -> {
                for (int p = 0; p < o.after().size(); p++) {
                    float[] a = o.after().get(p);
                    float[] b = o.before().get(p);
                    for (int i = 0; i < a.length; i++) {
                        double moved = Math.abs((double) a[i] - b[i]);
                        double bound = lr * c * (1 + RTOL) + Math.ulp(a[i]);
                        if (!(moved <= bound)) {
                            fail(
                                    Invariant.UPDATE_BOUND,
                                    o,
                                    "parameter "
                                            + p
                                            + " element "
                                            + i
                                            + " moved "
                                            + moved
                                            + " > lr*limit = "
                                            + bound);
                            return;
                        }
                    }
                }
            }
            case OBSERVE_ONLY -> {
                double moved = distance(o.before(), o.after());
                double expected = lr * trueNorm;
                double slack = RTOL * expected + roundingSlack(o.after());
                if (!(Math.abs(moved - expected) <= slack)) {
                    fail(
                            Invariant.UPDATE_BOUND,
                            o,
                            "moved "
                                    + moved
                                    + ", expected lr*||g|| = "
                                    + expected
                                    + " (observe only)");
                }
            }
        }
    }

    private void fail(Invariant invariant, Observation o, String detail) {
        sink.accept(new Violation(invariant, o.window(), detail));
    }

    /** Whether some element of {@code g * fp32(1/S)} is NaN or infinite in float32. */
    static boolean nonFinite(List<float[]> gradients, float scale) {
        float inverse = (float) (1.0 / scale);
        for (float[] g : gradients) {
            if (g == null) {
                continue;
            }
            for (float v : g) {
                if (!Float.isFinite(v * inverse)) {
                    return true;
                }
            }
        }
        return false;
    }

    /** {@code sqrt(sum g^2) / (S * n)}, in double, over the non-null (trainable) gradients. */
    static double meanNorm(List<float[]> gradients, float scale, int microBatches) {
        double sum = 0;
        for (float[] g : gradients) {
            if (g == null) {
                continue;
            }
            for (float v : g) {
                double d = (double) v / scale;
                sum += d * d;
            }
        }
        return Math.sqrt(sum) / microBatches;
    }

    static double distance(List<float[]> a, List<float[]> b) {
        double sum = 0;
        for (int p = 0; p < a.size(); p++) {
            for (int i = 0; i < a.get(p).length; i++) {
                double d = (double) a.get(p)[i] - b.get(p)[i];
                sum += d * d;
            }
        }
        return Math.sqrt(sum);
    }

    /** The L2 norm of one ulp of every weight: what rounding each new weight can add. */
    static double roundingSlack(List<float[]> weights) {
        double sum = 0;
        for (float[] w : weights) {
            for (float v : w) {
                double u = Math.ulp(v);
                sum += u * u;
            }
        }
        return Math.sqrt(sum);
    }

    static boolean allFinite(float[] values) {
        for (float v : values) {
            if (!Float.isFinite(v)) {
                return false;
            }
        }
        return true;
    }

    static boolean bitIdentical(float[] a, float[] b) {
        if (a.length != b.length) {
            return false;
        }
        for (int i = 0; i < a.length; i++) {
            if (Float.floatToRawIntBits(a[i]) != Float.floatToRawIntBits(b[i])) {
                return false;
            }
        }
        return true;
    }
}
