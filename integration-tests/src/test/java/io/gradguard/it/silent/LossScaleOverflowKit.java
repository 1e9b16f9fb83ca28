package io.gradguard.it.silent;

import static io.gradguard.it.silent.TrainingFixtures.FLOOR;
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
import ai.djl.training.loss.Loss;
import io.gradguard.ClippingTrainingListener;
import io.gradguard.GuardedOptimizer;
import io.gradguard.ScaledLoss;
import io.gradguard.StepReport;
import io.gradguard.clip.ClipStrategy;
import io.gradguard.event.AlertEvent;
import io.gradguard.event.GuardEventPublisher;
import io.gradguard.scale.LossScaler;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.testng.annotations.Test;

/**
 * The loss scale under gradient overflows, on one engine: a long run of overflows halves the scale
 * down to the smallest scale whose inverse is finite ({@link TrainingFixtures#FLOOR}), raises one
 * floor alert and never writes NaN into the weights; a scaled gradient that is finite but overflows
 * once unscaled skips its step; and overflows that go on at the floor end training as divergence of
 * the model, not of the learning rate. Expected scales follow GradScaler's rule worked by hand:
 * halve on every overflow, grow after 2,000 clean steps (never reached here).
 */
public abstract class LossScaleOverflowKit {

    /** Returns the engine name to test. */
    protected abstract String engineName();

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
}
