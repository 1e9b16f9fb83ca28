package io.gradguard.it;

import static org.testng.Assert.assertEquals;
import static org.testng.Assert.assertFalse;
import static org.testng.Assert.assertTrue;

import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;
import ai.djl.training.DefaultTrainingConfig;
import ai.djl.training.Trainer;
import ai.djl.training.dataset.Batch;
import ai.djl.training.loss.Loss;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.Tracker;
import ai.djl.util.Pair;
import io.gradguard.ClippingTrainingListener;
import io.gradguard.GuardedOptimizer;
import io.gradguard.GuardedTraining;
import io.gradguard.NonFinitePolicy;
import io.gradguard.ScaledLoss;
import io.gradguard.StepReport;
import io.gradguard.clip.ClipStrategy;
import io.gradguard.scale.LossScaler;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.testng.annotations.Test;

/**
 * Fault injection on one engine: 2,000 guarded SGD steps of the tiny regression with a dynamic loss
 * scaler, faults on 5% of them (seeded): NaN, +inf and -inf in one gradient element or in the loss,
 * and finite spikes of 1e30 in one gradient element.
 *
 * <p>Checked: every clean step is reported clean, applied, with finite weights; each faulted step
 * is checked against the survival criterion of RELIABILITY.md ({@link #survivalFailure}) and the
 * survivors are counted apart from the injector's own count of what it planted, and the two counts
 * must agree class by class; and the run ends bit-identical to a run in which the batches of the
 * non-finite faults never existed (spikes kept), with every kept step's report unchanged. Scales
 * are powers of two, so different scale histories give the same unscaled gradients.
 */
public abstract class FaultInjectionKit {

    static final int STEPS = 2000;
    static final double RATE = 0.05;
    static final float LR = 0.01f;
    static final float MAX_NORM = 5f;

    /** Returns the engine name to test. */
    protected abstract String engineName();

    /**
     * What one run left behind.
     *
     * @param weights the final weights
     * @param reportsByPlanStep the report of every step that ran, by plan step
     * @param injected faults of each class planted, as counted by the injector when it planted them
     * @param survived faults of each class whose step met the survival criterion, counted apart
     * @param failures the faulted steps that did not survive, and why
     */
    record Run(
            List<float[]> weights,
            Map<Integer, StepReport> reportsByPlanStep,
            Map<FaultClass, Integer> injected,
            Map<FaultClass, Integer> survived,
            List<String> failures) {}

    Run run(FaultPlan plan, Set<Integer> removed) {
        LossScaler scaler =
                LossScaler.dynamicBuilder()
                        .optInitialScale(1024f)
                        .optGrowthInterval(10)
                        .optMaxScale(65536f)
                        .build();
        List<StepReport> reports = new ArrayList<>();
        ClippingTrainingListener guard =
                ClippingTrainingListener.builder()
                        .setStrategy(ClipStrategy.globalNorm(MAX_NORM))
                        .optLossScaler(scaler)
                        .optNonFinitePolicy(NonFinitePolicy.SKIP_STEP)
                        .optReportConsumer(reports::add)
                        .build();
        FaultInjector injector = new FaultInjector(plan, scaler);
        Optimizer sgd = Optimizer.sgd().setLearningRateTracker(Tracker.fixed(LR)).build();
        DefaultTrainingConfig config =
                new DefaultTrainingConfig(new ScaledLoss(injector.wrap(Loss.l2Loss()), scaler))
                        .optOptimizer(new GuardedOptimizer(sgd, guard))
                        .addTrainingListeners(injector, guard);
        Map<Integer, StepReport> byPlanStep = new HashMap<>();
        Map<FaultClass, Integer> survived = new EnumMap<>(FaultClass.class);
        List<String> failures = new ArrayList<>();
        try (TinyRegression problem = new TinyRegression(engineName(), 11);
                Trainer trainer = problem.newTrainer(config, 11);
                NDManager batches = trainer.getManager().newSubManager()) {
            List<Batch> data = problem.explicitBatches(batches, TinyRegression.BATCH, 1);
            List<Parameter> params = parameters(problem);
            List<float[]> before = read(params);
            for (int i = 0; i < STEPS; i++) {
                if (removed.contains(i)) {
                    continue;
                }
                injector.beginStep(i);
                GuardedTraining.trainBatch(trainer, data.get(i % data.size()));
                boolean applied = GuardedTraining.step(trainer, guard);
                List<float[]> after = read(params);
                StepReport report = reports.get(reports.size() - 1);
                byPlanStep.put(i, report);
                Fault fault = plan.at(i);
                if (fault == null) {
                    assertAllFinite(after, i);
                    assertFalse(report.skipped() || report.nonFinite(), "clean step " + i);
                    assertTrue(applied, "clean step " + i);
                } else {
                    String failure = survivalFailure(fault.type(), report, applied, before, after);
                    if (failure == null) {
                        survived.merge(fault.type(), 1, Integer::sum);
                    } else {
                        failures.add("step " + i + " " + fault.type() + ": " + failure);
                    }
                }
                before = after;
            }
            assertEquals(reports.size(), STEPS - removed.size());
            return new Run(before, byPlanStep, Map.copyOf(injector.injected()), survived, failures);
        }
    }

    /**
     * Checks one faulted step against the survival criterion of RELIABILITY.md; returns null when
     * it survived, else what failed.
     *
     * <ul>
     *   <li>a non-finite gradient element: reported skipped and non-finite, not applied;
     *   <li>a non-finite loss (a data fault): reported skipped, not applied, whatever the loss
     *       scale does;
     *   <li>for both: every weight bit-for-bit what it was before the step, and finite;
     *   <li>a finite spike: reported clipped, not skipped, not non-finite, applied, finite weights
     *       that moved by at most {@code lr * maxNorm}.
     * </ul>
     */
    static String survivalFailure(
            FaultClass type,
            StepReport report,
            boolean applied,
            List<float[]> before,
            List<float[]> after) {
        if (!allFinite(after)) {
            return "a weight is not finite";
        }
        if (type.isFinite()) {
            if (!report.clipped() || report.skipped() || report.nonFinite() || !applied) {
                return "not a clipped, applied step: " + report + ", applied " + applied;
            }
            double moved = ClippingEndToEndKit.distance(after, before);
            double bound = LR * MAX_NORM * (1 + 1e-4) + 1e-5;
            return moved <= bound ? null : "the weights moved " + moved + " > " + bound;
        }
        boolean flagged = type.target() == FaultClass.Target.LOSS || report.nonFinite();
        if (!report.skipped() || !flagged || applied) {
            return "not a skipped step: " + report + ", applied " + applied;
        }
        return bitIdentical(after, before) ? null : "the weights changed";
    }

    @Test
    public void twoThousandStepsWithFivePercentFaults() {
        FaultPlan plan = FaultPlan.seeded(2024, STEPS, RATE, List.of(FaultClass.values()));
        Run faulted = run(plan, Set.of());
        Run reference = run(plan, plan.nonFiniteSteps());

        // 100 faults, the 7 classes in turn: 100 = 7 * 14 + 2, so the first two classes are
        // tried 15 times and the other five 14 times (RELIABILITY.md's table).
        assertEquals(plan.all().size(), (int) Math.round(STEPS * RATE));
        assertEquals(plan.all().size(), 100);
        FaultClass[] classes = FaultClass.values();
        for (int k = 0; k < classes.length; k++) {
            assertEquals(plan.counts().get(classes[k]), Integer.valueOf(k < 2 ? 15 : 14));
        }
        // Tried: what the injector planted. Survived: the steps that met the criterion, counted
        // apart, one by one. They must agree class by class.
        Map<FaultClass, Integer> tried = faulted.injected();
        assertEquals(tried, plan.counts(), "every planned fault was planted");
        for (FaultClass type : classes) {
            System.out.println(
                    "RELIABILITY "
                            + engineName()
                            + " "
                            + type
                            + " tried="
                            + tried.getOrDefault(type, 0)
                            + " survived="
                            + faulted.survived().getOrDefault(type, 0));
        }
        assertEquals(faulted.failures(), List.of(), "faulted steps that did not survive");
        assertEquals(faulted.survived(), tried, "survived, class by class");

        // Every kept step (clean or spike) is unaffected by the faults around it: the same
        // report as in the run without the non-finite faults' batches...
        int kept = 0;
        int unaffected = 0;
        List<Integer> affected = new ArrayList<>();
        for (Map.Entry<Integer, StepReport> e : reference.reportsByPlanStep().entrySet()) {
            StepReport expected = e.getValue();
            StepReport actual = faulted.reportsByPlanStep().get(e.getKey());
            kept++;
            if (Float.floatToRawIntBits(actual.totalNorm())
                            == Float.floatToRawIntBits(expected.totalNorm())
                    && Float.floatToRawIntBits(actual.coefficient())
                            == Float.floatToRawIntBits(expected.coefficient())
                    && actual.clipped() == expected.clipped()) {
                unaffected++;
            } else {
                affected.add(e.getKey());
            }
        }
        System.out.println(
                "RELIABILITY " + engineName() + " kept tried=" + kept + " survived=" + unaffected);
        // 2,000 steps less the 86 non-finite faults (100 less the 14 spikes).
        assertEquals(kept, STEPS - plan.nonFiniteSteps().size());
        assertEquals(kept, 1914);
        assertEquals(affected, List.of(), "kept steps whose report changed");
        assertEquals(unaffected, kept);
        // ...and the same final weights, bit for bit.
        ClippingEndToEndKit.assertBitIdentical(faulted.weights(), reference.weights());
    }

    /** The survival criterion can say no: each way a faulted step can fail is caught. */
    @Test
    public void theSurvivalCriterionRejectsEveryFailure() {
        List<float[]> before = List.<float[]>of(new float[] {1f, 2f});
        List<float[]> moved = List.<float[]>of(new float[] {1f, 2.001f});
        List<float[]> far = List.<float[]>of(new float[] {1f, 3f});
        List<float[]> nan = List.<float[]>of(new float[] {1f, Float.NaN});
        StepReport skipped = report(false, true, true);
        StepReport clipped = report(true, false, false);
        FaultClass nanGradient = FaultClass.GRADIENT_NAN;
        FaultClass nanLoss = FaultClass.LOSS_NAN;
        FaultClass spike = FaultClass.GRADIENT_FINITE_SPIKE;
        // Survivors.
        assertEquals(survivalFailure(nanGradient, skipped, false, before, before), null);
        assertEquals(
                survivalFailure(nanLoss, report(false, false, true), false, before, before), null);
        assertEquals(survivalFailure(spike, clipped, true, before, moved), null);
        // Failures.
        List<String> failures = new ArrayList<>();
        failures.add(survivalFailure(nanGradient, skipped, false, before, moved));
        failures.add(survivalFailure(nanGradient, skipped, false, before, nan));
        failures.add(survivalFailure(nanGradient, skipped, true, before, before));
        failures.add(
                survivalFailure(nanGradient, report(false, false, true), false, before, before));
        failures.add(survivalFailure(nanLoss, report(false, true, false), false, before, before));
        failures.add(survivalFailure(spike, clipped, true, before, far));
        failures.add(survivalFailure(spike, report(false, false, false), true, before, moved));
        failures.add(survivalFailure(spike, skipped, false, before, before));
        failures.add(survivalFailure(spike, clipped, true, before, nan));
        for (String failure : failures) {
            assertTrue(failure != null, "a failure must be named");
        }
    }

    private static StepReport report(boolean clipped, boolean nonFinite, boolean skipped) {
        return new StepReport(0, 0, 0, 1f, 1f, clipped, 1024f, nonFinite, skipped, 1);
    }

    static List<Parameter> parameters(TinyRegression problem) {
        List<Parameter> params = new ArrayList<>();
        for (Pair<String, Parameter> pair : problem.model().getBlock().getParameters()) {
            params.add(pair.getValue());
        }
        return params;
    }

    /** Reads float32 weights without creating arrays. */
    static List<float[]> read(List<Parameter> params) {
        List<float[]> out = new ArrayList<>(params.size());
        for (Parameter p : params) {
            out.add(p.getArray().toFloatArray());
        }
        return out;
    }

    static boolean allFinite(List<float[]> weights) {
        for (float[] w : weights) {
            for (float v : w) {
                if (!Float.isFinite(v)) {
                    return false;
                }
            }
        }
        return true;
    }

    static boolean bitIdentical(List<float[]> a, List<float[]> b) {
        if (a.size() != b.size()) {
            return false;
        }
        for (int i = 0; i < a.size(); i++) {
            if (a.get(i).length != b.get(i).length) {
                return false;
            }
            for (int j = 0; j < a.get(i).length; j++) {
                if (Float.floatToRawIntBits(a.get(i)[j]) != Float.floatToRawIntBits(b.get(i)[j])) {
                    return false;
                }
            }
        }
        return true;
    }

    static void assertAllFinite(List<float[]> weights, int step) {
        for (float[] w : weights) {
            for (float v : w) {
                if (!Float.isFinite(v)) {
                    throw new AssertionError("non-finite weight " + v + " after step " + step);
                }
            }
        }
    }
}
