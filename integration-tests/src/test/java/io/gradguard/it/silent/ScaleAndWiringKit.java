package io.gradguard.it.silent;

import static org.testng.Assert.assertEquals;
import static org.testng.Assert.assertFalse;
import static org.testng.Assert.assertTrue;
import static org.testng.Assert.expectThrows;

import ai.djl.TrainingDivergedException;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;
import ai.djl.training.DefaultTrainingConfig;
import ai.djl.training.EasyTrain;
import ai.djl.training.Trainer;
import ai.djl.training.dataset.ArrayDataset;
import ai.djl.training.loss.Loss;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.Tracker;
import io.gradguard.ClippingTrainingListener;
import io.gradguard.GradGuard;
import io.gradguard.GuardedOptimizer;
import io.gradguard.NonFinitePolicy;
import io.gradguard.ScaledLoss;
import io.gradguard.StepReport;
import io.gradguard.clip.ClipStrategy;
import io.gradguard.clip.NonFiniteGradientException;
import io.gradguard.event.AlertEvent;
import io.gradguard.event.GuardEventPublisher;
import io.gradguard.scale.LossScaler;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.testng.annotations.Test;

/**
 * The loss scale's range, data faults against overflows, and wiring mistakes, on one engine.
 * Expected scales follow GradScaler's rule worked by hand: halve on every overflow, grow after
 * 2,000 clean steps (never reached here).
 */
public abstract class ScaleAndWiringKit {

    /**
     * The smallest float whose inverse, computed in double and rounded to float, is finite: found
     * by walking down from 2^-127 (inverse 2^127) one float at a time.
     */
    private static final float FLOOR = smallestInvertibleScale();

    private static float smallestInvertibleScale() {
        float s = 0x1p-127f;
        while (Float.isFinite((float) (1.0 / Math.nextDown(s)))) {
            s = Math.nextDown(s);
        }
        return s;
    }

    /** Returns the engine name to test. */
    protected abstract String engineName();

    private static Optimizer sgd() {
        return Optimizer.sgd().setLearningRateTracker(Tracker.fixed(0.01f)).build();
    }

    /** A loss that, while armed, returns NaN: a data fault. */
    private static final class NanLoss extends Loss {
        private final Loss inner = Loss.l2Loss();
        boolean armed;

        NanLoss() {
            super("L2Loss");
        }

        @Override
        public NDArray evaluate(NDList labels, NDList predictions) {
            NDArray value = inner.evaluate(labels, predictions);
            return armed ? value.mul(Float.NaN) : value;
        }
    }

    @Test
    public void aLongRunOfOverflowsStopsAtTheFloorAndNeverWritesNan() {
        List<AlertEvent> alerts = new ArrayList<>();
        GuardEventPublisher events = new GuardEventPublisher().onAlert(alerts::add);
        LossScaler scaler = LossScaler.dynamic();
        ClippingTrainingListener guard =
                ClippingTrainingListener.builder()
                        .setStrategy(ClipStrategy.globalNorm(1f))
                        .optLossScaler(scaler)
                        .optObserver(events)
                        .build();
        GradientProbe probe = new GradientProbe();
        try (GuardHarness harness = new GuardHarness(engineName(), 21, false);
                Trainer trainer =
                        harness.newTrainer(
                                new DefaultTrainingConfig(new ScaledLoss(Loss.l2Loss(), scaler))
                                        .optOptimizer(new GuardedOptimizer(sgd(), guard))
                                        .addTrainingListeners(probe, guard),
                                21);
                NDManager batches = trainer.getManager().newSubManager()) {
            Parameter target = harness.distinctParameters().get(0);
            int overflows = 0;
            for (int i = 0; i < 400; i++) {
                boolean fault = i % 2 == 1;
                probe.poison(target, fault);
                EasyTrain.trainBatch(trainer, harness.batch(batches, i));
                trainer.step();
                StepReport r = guard.getLastReport().orElseThrow();
                // GradScaler's rule: 65536 halved once per earlier overflow, but never below the
                // smallest scale whose inverse is finite.
                float expected = Math.max(0x1p16f * (float) Math.pow(0.5, overflows), FLOOR);
                String where = engineName() + " batch " + i + ": " + r;
                assertEquals(r.lossScale(), expected, where);
                assertEquals(r.nonFinite(), fault, where);
                assertEquals(r.skipped(), fault, where);
                assertFalse(r.dataFault(), where);
                if (!fault) {
                    // The reported norm is that of the gradients backward produced, unscaled: the
                    // host computes it independently from the scaled gradients. Once their float32
                    // sum of squares overflows, the norm is infinite and the update zero, as in
                    // PyTorch's clip_grad_norm_ (never NaN in the weights, checked below).
                    double host = probe.norm(r.lossScale());
                    if (host * host > Float.MAX_VALUE) {
                        assertTrue(Float.isInfinite(r.totalNorm()), where + " host " + host);
                    } else {
                        assertEquals(r.totalNorm(), host, host * 1e-4 + 1e-6, where);
                    }
                }
                assertTrue(GuardHarness.allFinite(harness.weights()), where);
                overflows += fault ? 1 : 0;
            }
            assertEquals(scaler.scale(), FLOOR);
            assertTrue(Float.isFinite(1f / scaler.scale()));
            assertEquals(alerts.size(), 1, alerts.toString());
            assertEquals(alerts.get(0).kind(), AlertEvent.Kind.LOSS_SCALE_FLOOR);
        }
    }

    @Test
    public void aFiniteScaledGradientThatOverflowsWhenUnscaledIsSkipped() {
        // S = 2^-10: a scaled gradient element of 1e36 is finite, but unscaled it is 1e36 * 2^10,
        // about 1.02e39, above Float.MAX_VALUE: the optimizer would see infinity (and the clip
        // inf * 0 = NaN). The check must see what the optimizer will apply.
        LossScaler scaler = LossScaler.fixed(0x1p-10f);
        ClippingTrainingListener guard =
                ClippingTrainingListener.builder()
                        .setStrategy(ClipStrategy.globalNorm(1f))
                        .optLossScaler(scaler)
                        .build();
        GradientProbe probe = new GradientProbe();
        try (GuardHarness harness = new GuardHarness(engineName(), 19, false);
                Trainer trainer =
                        harness.newTrainer(
                                new DefaultTrainingConfig(new ScaledLoss(Loss.l2Loss(), scaler))
                                        .optOptimizer(new GuardedOptimizer(sgd(), guard))
                                        .addTrainingListeners(probe, guard),
                                19);
                NDManager batches = trainer.getManager().newSubManager()) {
            EasyTrain.trainBatch(trainer, harness.batch(batches, 0));
            trainer.step();
            Map<Parameter, float[]> before = harness.weights();
            probe.poisonValue(1e36f);
            probe.poison(harness.distinctParameters().get(0), true);
            EasyTrain.trainBatch(trainer, harness.batch(batches, 1));
            trainer.step();
            StepReport r = guard.getLastReport().orElseThrow();
            assertTrue(r.nonFinite() && r.skipped(), engineName() + " " + r);
            assertFalse(r.dataFault(), "the loss was finite: an overflow");
            Map<Parameter, float[]> after = harness.weights();
            for (Parameter p : before.keySet()) {
                assertTrue(Arrays.equals(before.get(p), after.get(p)), p.getName());
            }
        }
    }

    @Test
    public void overflowsAtTheFloorAreDivergenceBlamedOnTheModelNotTheLearningRate() {
        LossScaler scaler = LossScaler.dynamic();
        ClippingTrainingListener guard =
                ClippingTrainingListener.builder()
                        .setStrategy(ClipStrategy.globalNorm(1f))
                        .optLossScaler(scaler)
                        .optMaxConsecutiveSkips(1000)
                        .build();
        GradientProbe probe = new GradientProbe();
        try (GuardHarness harness = new GuardHarness(engineName(), 20, false);
                Trainer trainer =
                        harness.newTrainer(
                                new DefaultTrainingConfig(new ScaledLoss(Loss.l2Loss(), scaler))
                                        .optOptimizer(new GuardedOptimizer(sgd(), guard))
                                        .addTrainingListeners(probe, guard),
                                20);
                NDManager batches = trainer.getManager().newSubManager()) {
            Map<Parameter, float[]> initial = harness.weights();
            probe.poison(harness.distinctParameters().get(0), true);
            // 2^16 halved 144 times passes the floor (about 2^-128): then a second overflow in a
            // row at the floor is divergence.
            TrainingDivergedException e =
                    expectThrows(
                            TrainingDivergedException.class,
                            () -> {
                                for (int i = 0; i < 300; i++) {
                                    EasyTrain.trainBatch(trainer, harness.batch(batches, i));
                                    trainer.step();
                                }
                            });
            assertTrue(e.getMessage().contains("floor"), e.getMessage());
            assertFalse(e.getMessage().contains("learning rate"), e.getMessage());
            assertEquals(scaler.scale(), FLOOR);
            Map<Parameter, float[]> after = harness.weights();
            for (Parameter p : initial.keySet()) {
                assertTrue(Arrays.equals(initial.get(p), after.get(p)), "every step was skipped");
            }
        }
    }

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

    private static ArrayDataset dataset(NDManager manager) {
        java.util.Random random = new java.util.Random(5);
        float[] x = new float[32 * GuardHarness.FEATURES];
        float[] y = new float[32];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) random.nextGaussian();
        }
        return new ArrayDataset.Builder()
                .setData(
                        manager.create(
                                x, new ai.djl.ndarray.types.Shape(32, GuardHarness.FEATURES)))
                .optLabels(manager.create(y, new ai.djl.ndarray.types.Shape(32, 1)))
                .setSampling(GuardHarness.BATCH, false)
                .build();
    }
}
