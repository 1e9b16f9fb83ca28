package io.gradguard.it.scenario;

import ai.djl.MalformedModelException;
import ai.djl.ndarray.NDManager;
import ai.djl.training.DefaultTrainingConfig;
import ai.djl.training.EasyTrain;
import ai.djl.training.Trainer;
import ai.djl.training.dataset.Batch;
import ai.djl.training.loss.Loss;
import ai.djl.util.Pair;
import io.gradguard.ClippingTrainingListener;
import io.gradguard.GuardedOptimizer;
import io.gradguard.ScaledLoss;
import io.gradguard.StepReport;
import io.gradguard.clip.NonFiniteGradientException;
import io.gradguard.it.scenario.ScenarioSpec.LayerState;
import io.gradguard.it.scenario.ScenarioSpec.PlannedFault;
import io.gradguard.it.scenario.ScenarioSpec.WindowPlan;
import io.gradguard.scale.LossScaler;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * Trains one scenario, or its tail from a checkpoint, on one engine, and checks every window with
 * {@link WindowChecks}. The guard is wired by hand so that the fault injector and the gradient
 * probe run before it; batches go through {@code EasyTrain.trainBatch} then {@code trainer.step()},
 * each in its own sub-manager.
 */
final class ScenarioRun {

    static final String CHECKPOINT = "scenario";

    /**
     * What a run left behind, for comparing a resumed run with the uninterrupted one.
     *
     * @param weights the distinct parameters' values after each window run, in order
     * @param reports the step report of each window run (null where none)
     * @param refused whether the run ended on a NonFiniteGradientException
     */
    record Trace(List<List<float[]>> weights, List<StepReport> reports, boolean refused) {}

    private final String engine;
    private final ScenarioSpec spec;
    private final Consumer<Violation> sink;
    private final ScenarioCoverage coverage;

    ScenarioRun(
            String engine, ScenarioSpec spec, Consumer<Violation> sink, ScenarioCoverage coverage) {
        this.engine = engine;
        this.spec = spec;
        this.sink = sink;
        this.coverage = coverage;
    }

    /**
     * Runs windows {@code [from, end)}. When {@code from > 0} the model and the guard state are
     * loaded from {@code dir} first; when {@code from == 0} and the spec has a checkpoint, both are
     * saved to {@code dir} before that window.
     */
    Trace run(int from, Path dir) {
        LossScaler scaler = spec.scaler().build();
        ClippingTrainingListener guard =
                ClippingTrainingListener.builder()
                        .setStrategy(spec.strategy().build())
                        .optLossScaler(scaler)
                        .optNonFinitePolicy(spec.policy())
                        .optAccumulationSteps(spec.accumulation())
                        .build();
        List<List<float[]>> weights = new ArrayList<>();
        List<StepReport> reports = new ArrayList<>();
        WindowChecks checks = new WindowChecks(spec, sink);
        try (ScenarioModel model = new ScenarioModel(engine, spec)) {
            if (from > 0) {
                model.model().load(dir, CHECKPOINT);
                if (spec.loadStateFirst()) {
                    guard.loadState(dir, CHECKPOINT);
                }
            }
            ScenarioFaults faults = new ScenarioFaults(model, scaler);
            GradientProbe probe = new GradientProbe(model);
            Loss loss = faults.wrap(Loss.l2Loss());
            DefaultTrainingConfig config =
                    // As GradGuard.trainingConfig does: a ScaledLoss even without loss scaling, so
                    // that the guard sees non-finite losses (data faults).
                    new DefaultTrainingConfig(new ScaledLoss(loss, scaler))
                            .optOptimizer(new GuardedOptimizer(spec.optimizer().build(), guard))
                            .addTrainingListeners(faults, probe, guard);
            try (Trainer trainer = model.newTrainer(config, spec.seed())) {
                if (from > 0 && !spec.loadStateFirst()) {
                    guard.loadState(dir, CHECKPOINT);
                }
                List<LayerState> layers = null;
                List<float[]> before = model.weights();
                for (int w = from; w < spec.windows().size(); w++) {
                    if (from == 0 && w == spec.checkpointWindow()) {
                        model.model().save(dir, CHECKPOINT);
                        guard.saveState(dir, CHECKPOINT);
                    }
                    WindowPlan plan = spec.windows().get(w);
                    // A loaded model's trainer unfreezes every parameter: set every layer once.
                    model.applyLayers(layers, plan.layers(), layers == null);
                    layers = plan.layers();
                    boolean[] trainable = trainable(model);
                    float scale = scaler.isEnabled() ? scaler.scale() : 1f;
                    boolean refused;
                    try {
                        refused = runWindow(trainer, model, faults, probe, w, plan);
                    } catch (RuntimeException e) {
                        sink.accept(new Violation(Invariant.CRASH, w, ScenarioKit.stack(e)));
                        return new Trace(weights, reports, true);
                    }
                    boolean lossNonFinite = faults.takeLossNonFinite();
                    List<float[]> after = model.weights();
                    StepReport report = refused ? null : guard.getLastReport().orElse(null);
                    GradientProbe.Capture capture = probe.capture();
                    checks.check(
                            new WindowChecks.Observation(
                                    w,
                                    before,
                                    after,
                                    trainable,
                                    scale,
                                    capture == null ? null : capture.gradients(),
                                    report,
                                    refused,
                                    lossNonFinite));
                    count(trainable, report, refused);
                    weights.add(after);
                    reports.add(report);
                    if (refused) {
                        return new Trace(weights, reports, true);
                    }
                    before = after;
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (MalformedModelException e) {
            throw new IllegalStateException(e);
        }
        return new Trace(weights, reports, false);
    }

    /** Trains one window; returns whether the guard refused it with NonFiniteGradientException. */
    private boolean runWindow(
            Trainer trainer,
            ScenarioModel model,
            ScenarioFaults faults,
            GradientProbe probe,
            int window,
            WindowPlan plan) {
        int n = spec.accumulation();
        for (int m = 0; m < n; m++) {
            PlannedFault fault = plan.fault();
            faults.arm(fault != null && fault.micro() == m ? fault : null);
            probe.expectLast(m == n - 1);
            try (NDManager step = trainer.getManager().newSubManager()) {
                Batch batch = model.batch(step, window * n + m);
                try {
                    EasyTrain.trainBatch(trainer, batch);
                } catch (NonFiniteGradientException e) {
                    return true;
                }
                trainer.step();
            }
        }
        return false;
    }

    private void count(boolean[] trainable, StepReport report, boolean refused) {
        coverage.count(ScenarioCoverage.Event.WINDOW);
        for (boolean t : trainable) {
            if (!t) {
                coverage.count(ScenarioCoverage.Event.FROZEN_WINDOW);
                break;
            }
        }
        if (refused) {
            coverage.count(ScenarioCoverage.Event.REFUSED);
        } else if (report != null) {
            coverage.count(
                    report.skipped()
                            ? ScenarioCoverage.Event.SKIPPED
                            : ScenarioCoverage.Event.APPLIED);
            if (report.clipped()) {
                coverage.count(ScenarioCoverage.Event.CLIPPED);
            }
        }
    }

    private static boolean[] trainable(ScenarioModel model) {
        List<Pair<String, ai.djl.nn.Parameter>> params = model.distinctParameters();
        boolean[] out = new boolean[params.size()];
        for (int p = 0; p < out.length; p++) {
            out[p] = params.get(p).getValue().requiresGradient();
        }
        return out;
    }
}
