package io.gradguard;

import static org.testng.Assert.assertEquals;
import static org.testng.Assert.assertNotSame;
import static org.testng.Assert.assertTrue;
import static org.testng.Assert.expectThrows;

import ai.djl.training.loss.Loss;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.Tracker;
import io.gradguard.clip.ClipStrategy;
import io.gradguard.clip.StatefulClipStrategy;
import io.gradguard.scale.LossScaler;
import io.gradguard.scale.LossScalerState;
import org.testng.annotations.DataProvider;
import org.testng.annotations.Test;

/**
 * Scales that unscaling cannot undo are refused where they are set; components with per-run state
 * belong to one listener; the loss is never scaled twice.
 */
public class ScaleRangeAndOwnershipTest {

    @DataProvider
    public Object[][] uninvertible() {
        // 1/1e-39 = 1e39 > Float.MAX_VALUE; 1/Float.MIN_VALUE overflows too; 1/1e38 = 1e-38 is
        // below Float.MIN_NORMAL (1.18e-38), a subnormal.
        return new Object[][] {
            {"fixed scale", (Runnable) () -> LossScaler.fixed(1e-39f), "scale"},
            {"fixed huge", (Runnable) () -> LossScaler.fixed(1e38f), "scale"},
            {
                "initialScale",
                (Runnable) () -> LossScaler.dynamicBuilder().optInitialScale(1e-39f),
                "initialScale"
            },
            {
                "backoffFactor",
                (Runnable) () -> LossScaler.dynamicBuilder().optBackoffFactor(Float.MIN_VALUE),
                "backoffFactor"
            },
            {
                "growthFactor",
                (Runnable) () -> LossScaler.dynamicBuilder().optGrowthFactor(1e38f),
                "growthFactor"
            },
            {
                "minScale",
                (Runnable) () -> LossScaler.dynamicBuilder().optMinScale(1e-40f),
                "minScale"
            },
            {"state", (Runnable) () -> new LossScalerState(1e-40f, 0, 0), "scale"},
        };
    }

    @Test(dataProvider = "uninvertible")
    public void scalesWithoutAFiniteNormalInverseAreRefused(
            String label, Runnable action, String option) {
        IllegalArgumentException e = expectThrows(IllegalArgumentException.class, action::run);
        assertTrue(e.getMessage().startsWith(option + " must"), label + ": " + e.getMessage());
    }

    @Test
    public void aDataFaultLeavesTheScalerAsItWas() {
        LossScaler scaler =
                LossScaler.dynamicBuilder().optGrowthInterval(3).optHysteresis(2).build();
        scaler.update(false);
        scaler.update(true); // streak 1 of 2, tracker reset
        scaler.update(false);
        LossScalerState before = scaler.state();
        for (int i = 0; i < 10; i++) {
            scaler.recordDataFault();
        }
        assertEquals(scaler.state(), before);
    }

    @Test
    public void buildingTwiceWithAStatefulScalerOrStrategyIsRefused() {
        ClippingTrainingListenerBuilder builder =
                ClippingTrainingListener.builder()
                        .setStrategy(ClipStrategy.globalNorm(1f))
                        .optLossScaler(LossScaler.dynamic());
        builder.build();
        IllegalStateException e = expectThrows(IllegalStateException.class, builder::build);
        assertTrue(e.getMessage().contains("lossScaler"), e.getMessage());

        StatefulClipStrategy autoClip = ClipStrategy.autoClip();
        ClippingTrainingListener.builder().setStrategy(autoClip).build();
        IllegalStateException s =
                expectThrows(
                        IllegalStateException.class,
                        () -> ClippingTrainingListener.builder().setStrategy(autoClip).build());
        assertTrue(s.getMessage().contains("strategy"), s.getMessage());
    }

    @Test
    public void statelessComponentsMayBeShared() {
        ClipStrategy strategy = ClipStrategy.globalNorm(1f);
        LossScaler fixed = LossScaler.fixed(128f);
        ClippingTrainingListener a =
                ClippingTrainingListener.builder()
                        .setStrategy(strategy)
                        .optLossScaler(fixed)
                        .build();
        ClippingTrainingListener b =
                ClippingTrainingListener.builder()
                        .setStrategy(strategy)
                        .optLossScaler(fixed)
                        .build();
        assertNotSame(a, b);
    }

    @Test
    public void aScaledLossIsNeverScaledAgain() {
        ClippingTrainingListener guard =
                ClippingTrainingListener.builder()
                        .setStrategy(ClipStrategy.globalNorm(1f))
                        .optLossScaler(LossScaler.fixed(1024f))
                        .build();
        ScaledLoss scaled = new ScaledLoss(Loss.l2Loss(), guard.getLossScaler());
        Optimizer sgd = Optimizer.sgd().setLearningRateTracker(Tracker.fixed(0.1f)).build();
        IllegalArgumentException e =
                expectThrows(
                        IllegalArgumentException.class,
                        () -> GradGuard.trainingConfig(scaled, sgd, guard));
        assertTrue(e.getMessage().contains("already a ScaledLoss"), e.getMessage());
        expectThrows(
                IllegalArgumentException.class,
                () -> new ScaledLoss(scaled, guard.getLossScaler()));
    }
}
