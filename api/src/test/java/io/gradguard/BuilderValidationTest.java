package io.gradguard;

import static org.testng.Assert.assertTrue;
import static org.testng.Assert.expectThrows;

import ai.djl.training.loss.Loss;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.Tracker;
import io.gradguard.clip.ClipStrategy;
import io.gradguard.clip.GradientClipping;
import io.gradguard.scale.LossScaler;
import io.gradguard.scale.LossScalerState;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Consumer;
import org.testng.annotations.DataProvider;
import org.testng.annotations.Test;

/**
 * Every option of every builder and factory, given an invalid value, throws before anything is
 * built: {@link IllegalArgumentException} naming the option and the value (a null reference is a
 * {@link NullPointerException} naming the option; an invalid combination at {@code build()} an
 * {@link IllegalStateException} naming both options).
 */
public class BuilderValidationTest {

    private static final float[] NOT_POSITIVE_FINITE = {
        0f, -0f, -1f, Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY
    };

    @DataProvider
    public Object[][] badOptions() {
        return new Object[][] {
            // ClippingTrainingListenerBuilder
            {"accumulationSteps", "0", run(() -> builder().optAccumulationSteps(0))},
            {"accumulationSteps", "-3", run(() -> builder().optAccumulationSteps(-3))},
            {
                "accumulationSteps",
                String.valueOf(Integer.MIN_VALUE),
                run(() -> builder().optAccumulationSteps(Integer.MIN_VALUE))
            },
            {"maxConsecutiveSkips", "0", run(() -> builder().optMaxConsecutiveSkips(0))},
            {"maxConsecutiveSkips", "-1", run(() -> builder().optMaxConsecutiveSkips(-1))},
            // DynamicLossScalerBuilder
            {"growthFactor", "1.0", run(() -> LossScaler.dynamicBuilder().optGrowthFactor(1f))},
            {"growthFactor", "0.5", run(() -> LossScaler.dynamicBuilder().optGrowthFactor(.5f))},
            {
                "growthFactor",
                "NaN",
                run(() -> LossScaler.dynamicBuilder().optGrowthFactor(Float.NaN))
            },
            {
                "growthFactor",
                "Infinity",
                run(() -> LossScaler.dynamicBuilder().optGrowthFactor(Float.POSITIVE_INFINITY))
            },
            {"backoffFactor", "0.0", run(() -> LossScaler.dynamicBuilder().optBackoffFactor(0f))},
            {"backoffFactor", "1.0", run(() -> LossScaler.dynamicBuilder().optBackoffFactor(1f))},
            {
                "backoffFactor",
                "-0.5",
                run(() -> LossScaler.dynamicBuilder().optBackoffFactor(-.5f))
            },
            {
                "backoffFactor",
                "NaN",
                run(() -> LossScaler.dynamicBuilder().optBackoffFactor(Float.NaN))
            },
            {"growthInterval", "0", run(() -> LossScaler.dynamicBuilder().optGrowthInterval(0))},
            {"growthInterval", "-7", run(() -> LossScaler.dynamicBuilder().optGrowthInterval(-7))},
            {"hysteresis", "0", run(() -> LossScaler.dynamicBuilder().optHysteresis(0))},
            {"hysteresis", "-2", run(() -> LossScaler.dynamicBuilder().optHysteresis(-2))},
            // LossScalerState
            {"growthTracker", "-1", run(() -> new LossScalerState(1f, -1, 0))},
            {"overflowStreak", "-1", run(() -> new LossScalerState(1f, 0, -1))},
        };
    }

    @Test(dataProvider = "badOptions")
    public void invalidValuesNameTheOptionAndTheValue(String option, String value, Runnable call) {
        IllegalArgumentException e = expectThrows(IllegalArgumentException.class, call::run);
        assertTrue(e.getMessage().contains(option), e.getMessage());
        assertTrue(e.getMessage().contains(value), e.getMessage());
    }

    @Test
    public void everyPositiveFiniteOptionRejectsEveryBadFloat() {
        List<Named> options =
                List.of(
                        new Named(
                                "initialScale",
                                v -> LossScaler.dynamicBuilder().optInitialScale(v)),
                        new Named("minScale", v -> LossScaler.dynamicBuilder().optMinScale(v)),
                        new Named("maxScale", v -> LossScaler.dynamicBuilder().optMaxScale(v)),
                        new Named("scale", LossScaler::fixed),
                        new Named("scale", v -> new LossScalerState(v, 0, 0)),
                        new Named("maxNorm", ClipStrategy::globalNorm),
                        new Named("maxNorm", ClipStrategy::perParameterNorm),
                        new Named("limit", ClipStrategy::value),
                        new Named("maxNorm", v -> GradientClipping.clipGradNorm(List.of(), v)),
                        new Named("limit", v -> GradientClipping.clipGradValue(List.of(), v)));
        int tried = 0;
        for (Named option : options) {
            for (float bad : NOT_POSITIVE_FINITE) {
                IllegalArgumentException e =
                        expectThrows(IllegalArgumentException.class, () -> option.call.accept(bad));
                assertTrue(e.getMessage().contains(option.name), e.getMessage());
                assertTrue(e.getMessage().contains(String.valueOf(bad)), e.getMessage());
                tried++;
            }
        }
        System.out.println("RELIABILITY bad float options tried=" + tried + " rejected=" + tried);
    }

    @Test
    public void nullOptionsNameTheOption() {
        assertNull("strategy", () -> builder().setStrategy(null));
        assertNull("scaler", () -> builder().optLossScaler(null));
        assertNull("policy", () -> builder().optNonFinitePolicy(null));
        assertNull("mode", () -> builder().optReportMode(null));
        assertNull("consumer", () -> builder().optReportConsumer(null));
        assertNull("observer", () -> builder().optObserver(null));
        assertNull("gradientOps", () -> builder().optGradientOps(null));
        assertNull("delegate", () -> new GuardedOptimizer(null, listener()));
        assertNull("listener", () -> new GuardedOptimizer(sgd(), null));
        assertNull("loss", () -> new ScaledLoss(null, LossScaler.none()));
        assertNull("scaler", () -> new ScaledLoss(Loss.l2Loss(), null));
        assertNull("loss", () -> GradGuard.trainingConfig(null, sgd(), listener()));
        assertNull("checkpoint", () -> listener().restore(null));
    }

    @Test
    public void invalidCombinationsFailAtBuild() {
        IllegalStateException range =
                expectThrows(
                        IllegalStateException.class,
                        () -> LossScaler.dynamicBuilder().optMinScale(8f).optMaxScale(4f).build());
        assertTrue(range.getMessage().contains("minScale 8.0"), range.getMessage());
        assertTrue(range.getMessage().contains("maxScale 4.0"), range.getMessage());
        IllegalStateException initial =
                expectThrows(
                        IllegalStateException.class,
                        () -> LossScaler.dynamicBuilder().optMaxScale(1024f).build());
        assertTrue(initial.getMessage().contains("initialScale 65536.0"), initial.getMessage());
        IllegalStateException noStrategy =
                expectThrows(IllegalStateException.class, () -> builder().build());
        assertTrue(noStrategy.getMessage().contains("setStrategy"), noStrategy.getMessage());
        IllegalArgumentException doubleWrap =
                expectThrows(
                        IllegalArgumentException.class,
                        () ->
                                new GuardedOptimizer(
                                        new GuardedOptimizer(sgd(), listener()), listener()));
        assertTrue(doubleWrap.getMessage().contains("delegate"), doubleWrap.getMessage());
    }

    @Test
    public void checkpointArgumentsAreChecked() {
        ClippingTrainingListener listener = listener();
        for (String name : new String[] {"", "a/b", "..\\x", null}) {
            IllegalArgumentException e =
                    expectThrows(
                            IllegalArgumentException.class,
                            () -> listener.saveState(Path.of("."), name));
            assertTrue(e.getMessage().contains("name"), e.getMessage());
            assertTrue(e.getMessage().contains(String.valueOf(name)), e.getMessage());
        }
        IllegalArgumentException noDir =
                expectThrows(IllegalArgumentException.class, () -> listener.loadState(null, "x"));
        assertTrue(noDir.getMessage().contains("dir"), noDir.getMessage());
    }

    private static ClippingTrainingListenerBuilder builder() {
        return ClippingTrainingListener.builder();
    }

    private static ClippingTrainingListener listener() {
        return builder().setStrategy(ClipStrategy.globalNorm(1f)).build();
    }

    private static Optimizer sgd() {
        return Optimizer.sgd().setLearningRateTracker(Tracker.fixed(0.1f)).build();
    }

    private static Runnable run(Runnable r) {
        return r;
    }

    private static void assertNull(String option, Runnable call) {
        NullPointerException e = expectThrows(NullPointerException.class, call::run);
        assertTrue(String.valueOf(e.getMessage()).contains(option), option + ": " + e.getMessage());
    }

    private record Named(String name, Consumer<Float> call) {}
}
