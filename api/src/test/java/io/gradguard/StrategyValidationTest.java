package io.gradguard;

import static org.testng.Assert.assertThrows;
import static org.testng.Assert.assertTrue;

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

    @Test
    public void validNormTypesAreAccepted() {
        ClipStrategy.globalNorm(1f, 1f);
        ClipStrategy.globalNorm(1f, 3f);
        ClipStrategy.globalNorm(1f, Float.POSITIVE_INFINITY);
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
