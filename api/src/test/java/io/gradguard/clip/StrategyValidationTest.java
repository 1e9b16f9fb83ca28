package io.gradguard.clip;

import static org.testng.Assert.assertEquals;
import static org.testng.Assert.assertThrows;
import static org.testng.Assert.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.gradguard.ClippingTrainingListener;
import io.gradguard.spi.GradientOps;
import java.util.List;
import org.testng.annotations.DataProvider;
import org.testng.annotations.Test;

/** Bad configuration fails at build time with the parameter's name and value. */
public class StrategyValidationTest {

    @DataProvider
    public Object[][] badThresholds() {
        return new Object[][] {
            {0f}, {-1f}, {Float.NaN}, {Float.POSITIVE_INFINITY}, {Float.NEGATIVE_INFINITY}
        };
    }

    @Test(dataProvider = "badThresholds")
    public void globalNormRejectsBadMaxNorm(float maxNorm) {
        assertMessage(() -> ClipStrategy.globalNorm(maxNorm), "maxNorm", maxNorm);
        assertMessage(() -> ClipStrategy.globalNorm(maxNorm, 2f), "maxNorm", maxNorm);
        assertMessage(() -> ClipStrategy.perParameterNorm(maxNorm), "maxNorm", maxNorm);
    }

    @Test(dataProvider = "badThresholds")
    public void valueRejectsBadLimit(float limit) {
        assertMessage(() -> ClipStrategy.value(limit), "limit", limit);
    }

    @DataProvider
    public Object[][] badNormTypes() {
        return new Object[][] {{0.5f}, {0f}, {-2f}, {Float.NaN}, {Float.NEGATIVE_INFINITY}};
    }

    @Test(dataProvider = "badNormTypes")
    public void globalNormRejectsBadNormType(float normType) {
        assertMessage(() -> ClipStrategy.globalNorm(1f, normType), "normType", normType);
    }

    @Test(dataProvider = "badNormTypes")
    public void functionsRejectBadNormType(float normType) {
        assertMessage(() -> GradientClipping.totalNorm(List.of(), normType), "normType", normType);
    }

    @DataProvider
    public Object[][] validNormTypes() {
        // The norm of the gradient (3, -4) by hand: |3| + |-4| = 7; (27 + 64)^(1/3) = 91^(1/3)
        // = 4.4979414; max(|3|, |-4|) = 4.
        return new Object[][] {{1f, 7f}, {3f, 4.4979414f}, {Float.POSITIVE_INFINITY, 4f}};
    }

    @Test(dataProvider = "validNormTypes")
    public void validNormTypesAreAcceptedAndUsed(float normType, float expectedNorm) {
        ClipStrategy strategy = ClipStrategy.globalNorm(1f, normType);
        try (NDManager manager = NDManager.newBaseManager(Device.cpu(), "PyTorch")) {
            NDArray grad = manager.create(new float[] {3f, -4f});
            ClipOutcome outcome =
                    strategy.apply(ClipContext.of(GradientOps.generic(), List.of(grad), 0));
            assertEquals(outcome.totalNorm().getFloat(), expectedNorm, 1e-6f, "norm " + normType);
            // Clipped to max norm 1: the gradient divided by its norm (+ 1e-6).
            float coef = 1f / (expectedNorm + 1e-6f);
            assertEquals(
                    grad.toFloatArray(), new float[] {3f * coef, -4f * coef}, 1e-6f, "clipped");
        }
    }

    @Test
    public void listenerNeedsAStrategy() {
        IllegalStateException e =
                org.testng.Assert.expectThrows(
                        IllegalStateException.class,
                        () -> ClippingTrainingListener.builder().build());
        assertTrue(e.getMessage().contains("setStrategy"), e.getMessage());
        assertThrows(
                NullPointerException.class,
                () -> ClippingTrainingListener.builder().setStrategy(null));
    }

    @Test
    public void emptyGradientListIsAClearError() {
        IllegalArgumentException e =
                org.testng.Assert.expectThrows(
                        IllegalArgumentException.class,
                        () -> GradientClipping.clipGradNorm(List.of(), 1f));
        assertTrue(e.getMessage().contains("grads is empty"), e.getMessage());
    }

    private static void assertMessage(Runnable action, String name, float value) {
        IllegalArgumentException e =
                org.testng.Assert.expectThrows(IllegalArgumentException.class, action::run);
        assertTrue(e.getMessage().contains(name), e.getMessage());
        assertTrue(e.getMessage().contains(String.valueOf(value)), e.getMessage());
    }
}
