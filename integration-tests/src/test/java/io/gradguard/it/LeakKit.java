package io.gradguard.it;

import static org.testng.Assert.assertEquals;
import static org.testng.Assert.assertSame;
import static org.testng.Assert.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.training.Trainer;
import ai.djl.training.dataset.Batch;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.Tracker;
import io.gradguard.ClippingTrainingListener;
import io.gradguard.ClippingTrainingListenerBuilder;
import io.gradguard.GradGuard;
import io.gradguard.GuardedTraining;
import io.gradguard.ReportMode;
import io.gradguard.StepReport;
import io.gradguard.clip.ClipStrategy;
import io.gradguard.scale.LossScaler;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicLong;
import org.testng.annotations.DataProvider;
import org.testng.annotations.Test;

/**
 * No leaks on one engine: every NDArray alive in the engine, counted per owning manager (the model
 * manager, the trainer's manager and its children, the {@code gradguard-constants} managers, the
 * data) relative to a snapshot taken when the test starts, is the same after a 300-micro-step
 * warm-up and after 5,000 micro-steps, with every feature on: global-norm clipping, gradient
 * accumulation (2), a report consumer and an observer, and either {@link ReportMode#EVERY_STEP}
 * with a dynamic loss scaler and overflows every 97 micro-steps (skips), or {@link
 * ReportMode#ON_DEMAND} with reports read every 50 micro-steps; on PyTorch the model is float16, so
 * the optimizer keeps float32 master weights.
 */
public abstract class LeakKit {

    static final int WARM_UP = 300;
    static final int STEPS = 5000;

    /** Returns the engine name to test. */
    protected abstract String engineName();

    /** Returns the model's data type for a report mode. */
    protected abstract DataType dataType(ReportMode mode);

    @DataProvider
    public Object[][] modes() {
        return new Object[][] {{ReportMode.EVERY_STEP}, {ReportMode.ON_DEMAND}};
    }

    @Test(dataProvider = "modes")
    public void managedArraysAreFlatOverFiveThousandSteps(ReportMode mode) {
        AtomicLong consumed = new AtomicLong();
        AtomicLong observed = new AtomicLong();
        Set<Float> scales = new HashSet<>();
        boolean everyStep = mode == ReportMode.EVERY_STEP;
        ClippingTrainingListenerBuilder builder =
                ClippingTrainingListener.builder()
                        .setStrategy(ClipStrategy.globalNorm(2f))
                        .optAccumulationSteps(2)
                        .optReportMode(mode)
                        .optReportConsumer(
                                r -> {
                                    consumed.incrementAndGet();
                                    scales.add(r.lossScale());
                                })
                        .optObserver(
                                (StepReport r, io.gradguard.StepDetails d) ->
                                        observed.addAndGet(d.parameterNorms().length));
        if (everyStep) {
            builder.optLossScaler(
                    LossScaler.dynamicBuilder()
                            .optInitialScale(1024f)
                            // Two growths between overflows (48 windows apart) keep the scale
                            // above 2^3, where the injected overflow overflows.
                            .optGrowthInterval(20)
                            .build());
        }
        ClippingTrainingListener guard = builder.build();
        InjectingLoss loss = InjectingLoss.overflowing();
        Optimizer adam = Optimizer.adam().optLearningRateTracker(Tracker.fixed(0.001f)).build();
        NDManager root;
        try (NDManager probe = NDManager.newBaseManager(Device.cpu(), engineName())) {
            root = probe.getParentManager();
        }
        // Other tests in this JVM may have left arrays (the shared constants, unclosed managers):
        // every count below is relative to this snapshot, so the test passes alone and in any
        // order.
        Map<String, Integer> start = countByManager(root);
        try (TinyRegression problem = new TinyRegression(engineName(), 61, dataType(mode));
                Trainer trainer =
                        problem.newTrainer(GradGuard.trainingConfig(loss, adam, guard), 61);
                NDManager manager = trainer.getManager().newSubManager()) {
            assertSame(problem.model().getNDManager().getParentManager(), root, "the root");
            String modelManager = problem.model().getNDManager().getName();
            Map<String, Integer> afterWarmUp = null;
            int scalesAtWarmUp = 0;
            for (int i = 0; i < STEPS; i++) {
                loss.arm(everyStep && i % 97 == 96);
                try (NDManager step = manager.newSubManager()) {
                    Batch batch = problem.batch(step, 8, i % 8);
                    GuardedTraining.trainBatch(trainer, batch);
                    GuardedTraining.step(trainer, guard);
                }
                if (!everyStep && i % 50 == 49) {
                    guard.getLastReport();
                }
                if (i + 1 == WARM_UP) {
                    afterWarmUp = since(start, countByManager(root));
                    scalesAtWarmUp = scales.size();
                }
            }
            Map<String, Integer> atEnd = since(start, countByManager(root));
            System.out.println(
                    "RELIABILITY leaks "
                            + engineName()
                            + " "
                            + mode
                            + " after "
                            + WARM_UP
                            + ": "
                            + afterWarmUp
                            + " after "
                            + STEPS
                            + ": "
                            + atEnd);
            // The loss scale moves during the run, yet it lives in one replaceable slot per device
            // (S for the loss, 1/S for unscaling): the constants managers are flat too.
            int newScales = scales.size() - scalesAtWarmUp;
            // Positive control: the counts see this run's own arrays (the model's parameters).
            assertTrue(afterWarmUp.getOrDefault(modelManager, 0) > 0, "counted: " + afterWarmUp);
            int constantsGrowth =
                    atEnd.getOrDefault("gradguard-constants", 0)
                            - afterWarmUp.getOrDefault("gradguard-constants", 0);
            System.out.println(
                    "RELIABILITY leaks "
                            + engineName()
                            + " "
                            + mode
                            + " constants +"
                            + constantsGrowth
                            + " for "
                            + newScales
                            + " new loss scales");
            assertTrue(newScales > 0 || !everyStep, "the scale should have moved");
            assertEquals(constantsGrowth, 0);
            assertEquals(atEnd, afterWarmUp);
            assertEquals(atEnd.getOrDefault("gradguard-step", 0), 0);
            assertEquals(guard.getStatistics().microSteps() > 0, true);
            if (everyStep) {
                assertEquals(consumed.get(), STEPS / 2);
                assertTrue(guard.getStatistics().skippedSteps() >= STEPS / 97, "skips happened");
                assertTrue(observed.get() > 0, "observers saw per-parameter norms");
            } else {
                assertEquals(consumed.get(), STEPS / 50, "one report per read");
            }
        }
        // Closed, the run leaves nothing behind but the JVM-wide constants (eps, 1, thresholds and
        // the loss scaler's slots in gradguard-constants).
        Map<String, Integer> left = since(start, countByManager(root));
        left.remove("gradguard-constants");
        assertEquals(left, Map.of(), "arrays left after closing");
    }

    /** Returns {@code now - start} per manager name, without the names that did not change. */
    static Map<String, Integer> since(Map<String, Integer> start, Map<String, Integer> now) {
        Map<String, Integer> out = new TreeMap<>();
        Set<String> names = new HashSet<>(start.keySet());
        names.addAll(now.keySet());
        for (String name : names) {
            int change = now.getOrDefault(name, 0) - start.getOrDefault(name, 0);
            if (change != 0) {
                out.put(name, change);
            }
        }
        return out;
    }

    /**
     * Counts every live array of the engine by the name of the manager that owns it.
     *
     * @param root the engine's root manager
     * @return the counts by manager name ({@code "?"} for unnamed managers)
     */
    public static Map<String, Integer> countByManager(NDManager root) {
        Map<String, Integer> counts = new TreeMap<>();
        for (NDArray array : root.getManagedArrays()) {
            String name = array.getManager().getName();
            counts.merge(name == null ? "?" : name, 1, Integer::sum);
        }
        return counts;
    }
}
