package io.gradguard.it.order;

import static org.testng.Assert.assertEquals;
import static org.testng.Assert.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.EasyTrain;
import ai.djl.training.Trainer;
import ai.djl.training.loss.Loss;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.Tracker;
import io.gradguard.ClippingTrainingListener;
import io.gradguard.GradGuard;
import io.gradguard.NonFinitePolicy;
import io.gradguard.clip.ClipStrategy;
import io.gradguard.it.silent.GuardHarness;
import io.gradguard.scale.LossScaler;
import io.gradguard.spi.GradientOps;
import java.util.ArrayList;
import java.util.List;
import org.testng.annotations.Test;

/**
 * The order of a guarded step, as the step runner's javadoc writes it, observed from outside: a
 * recording {@link GradientOps} logs the guard's device work, the report consumer logs the read and
 * the decision ({@code report}), and the wrapped optimizer logs each update ({@code update}). For
 * every stepped window: unscale-and-check (or check) before the clip's norm, the norm before the
 * clip's multiply, all of it before the report, and the report before any update.
 */
public abstract class StepOrderKit {

    /** Returns the engine name to test. */
    protected abstract String engineName();

    /** An SGD whose updates are logged, so the log shows when the decided step is applied. */
    private static Optimizer loggedSgd(List<String> log) {
        Optimizer sgd = Optimizer.sgd().setLearningRateTracker(Tracker.fixed(0.01f)).build();
        return new Optimizer(Optimizer.sgd().setLearningRateTracker(Tracker.fixed(0.01f))) {
            @Override
            public void update(String parameterId, NDArray weight, NDArray grad) {
                log.add("update");
                sgd.update(parameterId, weight, grad);
            }
        };
    }

    private List<List<String>> windows(LossScaler scaler, NonFinitePolicy policy, int micro) {
        List<String> log = new ArrayList<>();
        ClippingTrainingListener guard =
                ClippingTrainingListener.builder()
                        .setStrategy(ClipStrategy.globalNorm(0.5f))
                        .optLossScaler(scaler)
                        .optNonFinitePolicy(policy)
                        .optAccumulationSteps(micro)
                        .optReportConsumer(r -> log.add("report"))
                        .optGradientOps(
                                new RecordingOps(
                                        GradientOps.forEngine(Engine.getEngine(engineName())), log))
                        .build();
        List<List<String>> windows = new ArrayList<>();
        try (GuardHarness harness = new GuardHarness(engineName(), 31, false);
                Trainer trainer =
                        harness.newTrainer(
                                GradGuard.trainingConfig(Loss.l2Loss(), loggedSgd(log), guard),
                                31);
                NDManager batches = trainer.getManager().newSubManager()) {
            for (int i = 0; i < 4 * micro; i++) {
                int from = log.size();
                EasyTrain.trainBatch(trainer, harness.batch(batches, i));
                trainer.step();
                if ((i + 1) % micro == 0) {
                    windows.add(new ArrayList<>(log.subList(from, log.size())));
                }
            }
        }
        return windows;
    }

    private static void assertOrder(List<String> window, String first, String then) {
        int a = window.indexOf(first);
        int b = window.indexOf(then);
        assertTrue(a >= 0 && b >= 0 && a < b, first + " before " + then + " in " + window);
    }

    private void checkEveryWindow(List<List<String>> windows, String check) {
        assertEquals(windows.size(), 4);
        for (List<String> w : windows) {
            assertOrder(w, check, "totalNorm");
            assertOrder(w, "totalNorm", "scaleInPlace");
            assertOrder(w, "scaleInPlace", "report");
            assertOrder(w, "report", "update");
            assertTrue(w.lastIndexOf(check) < w.indexOf("update"), "checked before applied " + w);
        }
    }

    @Test
    public void withALossScalerUnscaleAndCheckComeBeforeTheClipTheReportAndTheUpdate() {
        checkEveryWindow(
                windows(LossScaler.fixed(256f), NonFinitePolicy.SKIP_STEP, 1), "unscaleAndCheck");
    }

    @Test
    public void withoutAScalerTheCheckComesFirst() {
        checkEveryWindow(windows(LossScaler.none(), NonFinitePolicy.SKIP_STEP, 1), "nonFiniteFlag");
    }

    @Test
    public void accumulationClipsOncePerWindowAfterItsLastMicroBatch() {
        List<List<String>> windows = windows(LossScaler.fixed(256f), NonFinitePolicy.SKIP_STEP, 3);
        checkEveryWindow(windows, "unscaleAndCheck");
        for (List<String> w : windows) {
            assertEquals(w.stream().filter("unscaleAndCheck"::equals).count(), 1L, "once: " + w);
            assertEquals(w.stream().filter("report"::equals).count(), 1L, "once: " + w);
        }
    }
}
