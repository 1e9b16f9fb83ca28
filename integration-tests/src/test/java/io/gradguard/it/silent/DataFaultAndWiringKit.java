package io.gradguard.it.silent;

import static io.gradguard.it.silent.TrainingFixtures.dataset;
import static io.gradguard.it.silent.TrainingFixtures.sgd;
import static org.testng.Assert.assertEquals;
import static org.testng.Assert.assertFalse;
import static org.testng.Assert.assertTrue;
import static org.testng.Assert.expectThrows;

import ai.djl.TrainingDivergedException;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;
import ai.djl.training.DefaultTrainingConfig;
import ai.djl.training.EasyTrain;
import ai.djl.training.Trainer;
import ai.djl.training.dataset.ArrayDataset;
import ai.djl.training.loss.Loss;
import io.gradguard.ClippingTrainingListener;
import io.gradguard.GradGuard;
import io.gradguard.GuardedOptimizer;
import io.gradguard.NonFinitePolicy;
import io.gradguard.ScaledLoss;
import io.gradguard.StepReport;
import io.gradguard.clip.ClipStrategy;
import io.gradguard.clip.NonFiniteGradientException;
import io.gradguard.it.silent.TrainingFixtures.NanLoss;
import io.gradguard.scale.LossScaler;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.testng.annotations.Test;

/**
 * Data faults and wiring mistakes, on one engine. A non-finite loss is a data fault, not an
 * overflow: its step (its whole accumulation window) is skipped, the loss scale is left alone, and
 * a run with such batches equals bit for bit one without them; the ERROR policy names it. Beside
 * DJL's logging listeners, the default policy stops training before a NaN step is applied and
 * SKIP_STEP still skips it. A guarded optimizer whose listener was forgotten, a guard registered
 * twice and two guards on one trainer are refused before any weight changes.
 */
public abstract class DataFaultAndWiringKit {

    /** Returns the engine name to test. */
    protected abstract String engineName();

    /** Trains 400 batches; odd batches are NaN-loss batches, or left out when {@code drop}. */
    private Map<Parameter, float[]> everyOtherBatchNan(boolean drop, List<StepReport> reports) {
        LossScaler scaler = LossScaler.dynamic();
        ClippingTrainingListener guard =
                ClippingTrainingListener.builder()
                        .setStrategy(ClipStrategy.globalNorm(1f))
                        .optLossScaler(scaler)
                        .build();
        NanLoss loss = new NanLoss();
        try (GuardHarness harness = new GuardHarness(engineName(), 22, false);
                Trainer trainer =
                        harness.newTrainer(GradGuard.trainingConfig(loss, sgd(), guard), 22);
                NDManager batches = trainer.getManager().newSubManager()) {
            double before = harness.hostLoss();
            for (int i = 0; i < 400; i++) {
                loss.armed = i % 2 == 1;
                if (drop && loss.armed) {
                    continue;
                }
                EasyTrain.trainBatch(trainer, harness.batch(batches, i));
                trainer.step();
                StepReport r = guard.getLastReport().orElseThrow();
                String where = engineName() + " batch " + i + ": " + r;
                assertEquals(r.dataFault(), loss.armed, where);
                assertEquals(r.skipped(), loss.armed, where);
                assertEquals(r.lossScale(), 65536f, where);
                reports.add(r);
            }
            assertEquals(scaler.scale(), 65536f, "a data fault is not an overflow");
            assertEquals(scaler.state().growthTracker(), 200, "clean steps only");
            assertEquals(guard.getStatistics().dataFaultSteps(), drop ? 0 : 200);
            assertEquals(guard.getStatistics().nonFiniteSteps(), drop ? 0 : 200);
            double after = harness.hostLoss();
            assertTrue(after < before, engineName() + " loss " + before + " -> " + after);
            return harness.weights();
        }
    }

    @Test
    public void nonFiniteLossesAreDataFaultsThatLeaveTheScaleAlone() {
        // GradScaler would halve the scale 200 times here. A data fault changes nothing, so the
        // run equals, bit for bit, one in which the bad batches never existed.
        List<StepReport> faulted = new ArrayList<>();
        List<StepReport> clean = new ArrayList<>();
        Map<Parameter, float[]> a = everyOtherBatchNan(false, faulted);
        Map<Parameter, float[]> b = everyOtherBatchNan(true, clean);
        List<float[]> left = new ArrayList<>(a.values());
        List<float[]> right = new ArrayList<>(b.values());
        for (int i = 0; i < left.size(); i++) {
            assertTrue(Arrays.equals(left.get(i), right.get(i)), engineName() + " parameter " + i);
        }
        List<Float> kept = new ArrayList<>();
        faulted.stream().filter(r -> !r.skipped()).forEach(r -> kept.add(r.totalNorm()));
        List<Float> expected = new ArrayList<>();
        clean.forEach(r -> expected.add(r.totalNorm()));
        assertEquals(kept, expected);
    }

    @Test
    public void oneNonFiniteLossMakesItsWholeWindowADataFault() {
        LossScaler scaler = LossScaler.fixed(512f);
        ClippingTrainingListener guard =
                ClippingTrainingListener.builder()
                        .setStrategy(ClipStrategy.globalNorm(1f))
                        .optLossScaler(scaler)
                        .optAccumulationSteps(3)
                        .build();
        NanLoss loss = new NanLoss();
        try (GuardHarness harness = new GuardHarness(engineName(), 23, false);
                Trainer trainer =
                        harness.newTrainer(GradGuard.trainingConfig(loss, sgd(), guard), 23);
                NDManager batches = trainer.getManager().newSubManager()) {
            List<StepReport> reports = new ArrayList<>();
            for (int i = 0; i < 9; i++) {
                loss.armed = i == 4; // the middle micro-batch of window 1
                long steps = guard.getStepCount();
                EasyTrain.trainBatch(trainer, harness.batch(batches, i));
                trainer.step();
                if (guard.getStepCount() > steps) {
                    reports.add(guard.getLastReport().orElseThrow());
                }
            }
            assertEquals(reports.size(), 3);
            assertFalse(reports.get(0).dataFault());
            assertTrue(reports.get(1).dataFault() && reports.get(1).skipped(), reports.toString());
            assertFalse(reports.get(2).nonFinite());
        }
    }

    @Test
    public void theErrorPolicyNamesADataFault() {
        ClippingTrainingListener guard =
                ClippingTrainingListener.builder()
                        .setStrategy(ClipStrategy.globalNorm(1f))
                        .optNonFinitePolicy(NonFinitePolicy.ERROR)
                        .build();
        NanLoss loss = new NanLoss();
        loss.armed = true;
        try (GuardHarness harness = new GuardHarness(engineName(), 24, false);
                Trainer trainer =
                        harness.newTrainer(GradGuard.trainingConfig(loss, sgd(), guard), 24);
                NDManager batches = trainer.getManager().newSubManager()) {
            NonFiniteGradientException e =
                    expectThrows(
                            NonFiniteGradientException.class,
                            () -> EasyTrain.trainBatch(trainer, harness.batch(batches, 0)));
            assertTrue(e.getMessage().contains("data fault"), e.getMessage());
        }
    }

    @Test
    public void handWiringWithoutTheListenerIsRefusedAndTrainsNothing() {
        LossScaler scaler = LossScaler.fixed(1024f);
        ClippingTrainingListener guard =
                ClippingTrainingListener.builder()
                        .setStrategy(ClipStrategy.globalNorm(1f))
                        .optLossScaler(scaler)
                        .build();
        DefaultTrainingConfig config =
                new DefaultTrainingConfig(new ScaledLoss(Loss.l2Loss(), scaler))
                        .optOptimizer(new GuardedOptimizer(sgd(), guard)); // listener forgotten
        try (GuardHarness harness = new GuardHarness(engineName(), 25, false);
                Trainer trainer = harness.newTrainer(config, 25);
                NDManager batches = trainer.getManager().newSubManager()) {
            Map<Parameter, float[]> initial = harness.weights();
            // PyTorch throws from the first step; MXNet runs updates in native code, which
            // swallows the exception, so the loss wrapper throws at the next forward pass.
            IllegalStateException e =
                    expectThrows(
                            IllegalStateException.class,
                            () -> {
                                for (int i = 0; i < 3; i++) {
                                    EasyTrain.trainBatch(trainer, harness.batch(batches, i));
                                    trainer.step();
                                }
                            });
            assertTrue(e.getMessage().contains("did not process this step"), e.getMessage());
            Map<Parameter, float[]> after = harness.weights();
            for (Parameter p : initial.keySet()) {
                assertTrue(Arrays.equals(initial.get(p), after.get(p)), p.getName());
            }
        }
    }

    @Test
    public void loggingListenersStopNonFiniteTrainingWithTheDefaultPolicy() {
        ClippingTrainingListener guard =
                ClippingTrainingListener.builder()
                        .setStrategy(ClipStrategy.globalNorm(1f))
                        .build(); // no scaler: PROPAGATE by default
        NanLoss loss = new NanLoss();
        loss.armed = true;
        try (GuardHarness harness = new GuardHarness(engineName(), 26, false);
                Trainer trainer =
                        harness.newTrainer(
                                GradGuard.trainingConfig(loss, sgd(), guard)
                                        .addTrainingListeners(GradGuard.loggingListeners()),
                                26);
                NDManager data = trainer.getManager().newSubManager()) {
            Map<Parameter, float[]> initial = harness.weights();
            ArrayDataset dataset = dataset(data);
            expectThrows(
                    TrainingDivergedException.class,
                    () -> EasyTrain.fit(trainer, 2, dataset, null));
            Map<Parameter, float[]> after = harness.weights();
            for (Parameter p : initial.keySet()) {
                assertTrue(Arrays.equals(initial.get(p), after.get(p)), "no NaN step applied");
            }
        }
    }

    @Test
    public void loggingListenersLetAGuardSkipADataFault() throws Exception {
        ClippingTrainingListener guard =
                ClippingTrainingListener.builder()
                        .setStrategy(ClipStrategy.globalNorm(1f))
                        .optNonFinitePolicy(NonFinitePolicy.SKIP_STEP)
                        .build();
        NanLoss loss = new NanLoss();
        try (GuardHarness harness = new GuardHarness(engineName(), 27, false);
                Trainer trainer =
                        harness.newTrainer(
                                GradGuard.trainingConfig(loss, sgd(), guard)
                                        .addTrainingListeners(GradGuard.loggingListeners()),
                                27);
                NDManager data = trainer.getManager().newSubManager()) {
            trainer.setMetrics(new ai.djl.metric.Metrics());
            ArrayDataset dataset = dataset(data);
            guard.getStatistics();
            loss.armed = false;
            EasyTrain.fit(trainer, 1, dataset, null);
            loss.armed = true;
            EasyTrain.trainBatch(trainer, harness.batch(data, 0));
            trainer.step();
            assertTrue(guard.getLastReport().orElseThrow().skipped());
            assertTrue(GuardHarness.allFinite(harness.weights()));
        }
    }

    @Test
    public void aGuardRegisteredTwiceIsRefused() {
        ClippingTrainingListener guard =
                ClippingTrainingListener.builder().setStrategy(ClipStrategy.globalNorm(1f)).build();
        try (GuardHarness harness = new GuardHarness(engineName(), 28, false)) {
            DefaultTrainingConfig twice =
                    GradGuard.trainingConfig(Loss.l2Loss(), sgd(), guard)
                            .addTrainingListeners(guard);
            IllegalStateException e =
                    expectThrows(IllegalStateException.class, () -> harness.newTrainer(twice, 28));
            assertTrue(e.getMessage().contains("registered 2 times"), e.getMessage());
        }
        try (GuardHarness harness = new GuardHarness(engineName(), 29, false)) {
            ClippingTrainingListener other =
                    ClippingTrainingListener.builder()
                            .setStrategy(ClipStrategy.globalNorm(1f))
                            .build();
            DefaultTrainingConfig two =
                    GradGuard.trainingConfig(Loss.l2Loss(), sgd(), guard)
                            .addTrainingListeners(other);
            IllegalStateException e =
                    expectThrows(IllegalStateException.class, () -> harness.newTrainer(two, 29));
            assertTrue(e.getMessage().contains("one guard per trainer"), e.getMessage());
        }
    }
}
