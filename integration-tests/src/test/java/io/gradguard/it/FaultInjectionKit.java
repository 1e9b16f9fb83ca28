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
import io.gradguard.ClipStrategy;
import io.gradguard.ClippingTrainingListener;
import io.gradguard.GuardedOptimizer;
import io.gradguard.GuardedTraining;
import io.gradguard.LossScaler;
import io.gradguard.NonFinitePolicy;
import io.gradguard.ScaledLoss;
import io.gradguard.StepReport;
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
 * <p>Checked: the weights are finite after every step; every non-finite fault is reported as a
 * skipped step and every spike as a clipped (not skipped) one, whose update is bounded by {@code lr
 * * maxNorm}; every clean step is reported clean; and the run ends bit-identical to a run in which
 * the batches of the non-finite faults never existed (spikes kept), step reports included. Scales
 * are powers of two, so different scale histories give the same unscaled gradients.
 */
public abstract class FaultInjectionKit {

    static final int STEPS = 2000;
    static final double RATE = 0.05;
    static final float LR = 0.01f;
    static final float MAX_NORM = 5f;

    /** Returns the engine name to test. */
    protected abstract String engineName();

    /** What one run left behind. */
    record Run(
            List<float[]> weights,
            Map<Integer, StepReport> reportsByPlanStep,
            Map<FaultClass, Integer> injected,
            Map<FaultClass, Integer> survived) {}

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
                assertAllFinite(after, i);
                StepReport report = reports.get(reports.size() - 1);
                byPlanStep.put(i, report);
                Fault fault = plan.at(i);
                if (fault == null) {
                    assertFalse(report.skipped() || report.nonFinite(), "clean step " + i);
                    assertTrue(applied, "clean step " + i);
                } else if (fault.type().isFinite()) {
                    assertFalse(report.skipped() || report.nonFinite(), "spike step " + i);
                    assertTrue(report.clipped(), "spike step " + i + " " + report);
                    double moved = ClippingEndToEndKit.distance(after, before);
                    double bound = LR * MAX_NORM * (1 + 1e-4) + 1e-5;
                    assertTrue(moved <= bound, "spike step " + i + " moved " + moved);
                    survived.merge(fault.type(), 1, Integer::sum);
                } else {
                    assertTrue(report.skipped() && report.nonFinite(), "fault step " + i);
                    assertFalse(applied, "fault step " + i);
                    ClippingEndToEndKit.assertBitIdentical(after, before);
                    survived.merge(fault.type(), 1, Integer::sum);
                }
                before = after;
            }
            assertEquals(reports.size(), STEPS - removed.size());
            return new Run(before, byPlanStep, Map.copyOf(injector.injected()), survived);
        }
    }

    @Test
    public void twoThousandStepsWithFivePercentFaults() {
        FaultPlan plan = FaultPlan.seeded(2024, STEPS, RATE, List.of(FaultClass.values()));
        Run faulted = run(plan, Set.of());
        Run reference = run(plan, plan.nonFiniteSteps());

        // Every planted fault was really planted, and survived.
        assertEquals(plan.all().size(), (int) Math.round(STEPS * RATE));
        assertEquals(faulted.injected(), plan.counts());
        assertEquals(faulted.survived(), plan.counts());
        for (FaultClass type : FaultClass.values()) {
            int tried = plan.counts().getOrDefault(type, 0);
            assertTrue(tried > 0, type + " must be tried");
            System.out.println(
                    "RELIABILITY "
                            + engineName()
                            + " "
                            + type
                            + " tried="
                            + tried
                            + " survived="
                            + faulted.survived().getOrDefault(type, 0));
        }

        // The clean steps are untouched: same reports as the run without the faulted batches...
        int compared = 0;
        for (Map.Entry<Integer, StepReport> e : reference.reportsByPlanStep().entrySet()) {
            StepReport expected = e.getValue();
            StepReport actual = faulted.reportsByPlanStep().get(e.getKey());
            assertEquals(
                    Float.floatToRawIntBits(actual.totalNorm()),
                    Float.floatToRawIntBits(expected.totalNorm()),
                    "norm at plan step " + e.getKey());
            assertEquals(actual.coefficient(), expected.coefficient());
            assertEquals(actual.clipped(), expected.clipped());
            compared++;
        }
        assertEquals(compared, STEPS - plan.nonFiniteSteps().size());
        // ...and the same final weights, bit for bit.
        ClippingEndToEndKit.assertBitIdentical(faulted.weights(), reference.weights());
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
