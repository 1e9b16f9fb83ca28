package io.gradguard.scale;

import static org.testng.Assert.assertEquals;
import static org.testng.Assert.assertFalse;
import static org.testng.Assert.assertTrue;
import static org.testng.Assert.expectThrows;

import io.gradguard.ClippingTrainingListener;
import java.util.Random;
import org.testng.annotations.Test;

/**
 * The dynamic scaler against GradScaler's update rule ({@code torch._amp_update_scale_}), worked by
 * hand: on a non-finite step {@code S *= backoff} and the tracker resets; after {@code interval}
 * consecutive clean steps {@code S *= growth} (only if finite) and the tracker resets.
 */
public class LossScalerTest {

    @Test
    public void defaultsAreGradScalers() {
        LossScaler scaler = LossScaler.dynamic();
        assertEquals(scaler.scale(), 65536f);
        assertTrue(scaler.isEnabled());
        // 1 / 65536 = 2^-16 exactly.
        assertEquals(scaler.inverseScale(), 0x1p-16f);
    }

    @Test
    public void oneOverflowHalvesAndTwoThousandCleanStepsDouble() {
        LossScaler scaler = LossScaler.dynamic();
        scaler.update(true);
        assertEquals(scaler.scale(), 32768f);
        for (int i = 1; i < 2000; i++) {
            scaler.update(false);
            assertEquals(scaler.scale(), 32768f, "clean step " + i);
        }
        scaler.update(false); // the 2000th consecutive clean step
        assertEquals(scaler.scale(), 65536f);
        assertEquals(scaler.state().growthTracker(), 0);
    }

    @Test
    public void anOverflowResetsTheGrowthTracker() {
        LossScaler scaler = LossScaler.dynamicBuilder().optGrowthInterval(3).build();
        scaler.update(false);
        scaler.update(false);
        scaler.update(true); // 65536 -> 32768, tracker back to 0
        scaler.update(false);
        scaler.update(false);
        assertEquals(scaler.scale(), 32768f);
        scaler.update(false); // third clean step in a row
        assertEquals(scaler.scale(), 65536f);
    }

    @Test
    public void growthStopsWhereTheInverseStopsBeingNormal() {
        // 1/2^126 = 2^-126 = Float.MIN_NORMAL, the last normal inverse; 1/2^127 is subnormal.
        LossScaler scaler =
                LossScaler.dynamicBuilder().optInitialScale(0x1p125f).optGrowthInterval(1).build();
        scaler.update(false);
        assertEquals(scaler.scale(), 0x1p126f);
        scaler.update(false); // 2^127 would have a subnormal inverse: the scale stays
        assertEquals(scaler.scale(), 0x1p126f);
        assertEquals(scaler.state().growthTracker(), 0);
        assertEquals(scaler.inverseScale(), Float.MIN_NORMAL);
    }

    @Test
    public void hysteresisToleratesConsecutiveOverflows() {
        LossScaler scaler = LossScaler.dynamicBuilder().optHysteresis(3).build();
        scaler.update(true);
        scaler.update(true);
        assertEquals(scaler.scale(), 65536f, "two overflows are tolerated");
        scaler.update(true);
        assertEquals(scaler.scale(), 32768f, "the third in a row backs off");
        scaler.update(true);
        scaler.update(false); // a clean step breaks the streak
        scaler.update(true);
        scaler.update(true);
        assertEquals(scaler.scale(), 32768f);
    }

    @Test
    public void minAndMaxBoundTheScale() {
        LossScaler scaler =
                LossScaler.dynamicBuilder()
                        .optInitialScale(8f)
                        .optMinScale(2f)
                        .optMaxScale(16f)
                        .optGrowthInterval(1)
                        .build();
        scaler.update(false);
        assertEquals(scaler.scale(), 16f);
        scaler.update(false);
        assertEquals(scaler.scale(), 16f, "capped at max");
        for (int i = 0; i < 10; i++) {
            scaler.update(true);
        }
        assertEquals(scaler.scale(), 2f, "floored at min");
    }

    @Test
    public void fuzzedSequencesKeepEveryInvariant() {
        Random random = new Random(2024);
        for (int run = 0; run < 10; run++) {
            float min = (float) Math.pow(2, -random.nextInt(20));
            float max = (float) Math.pow(2, 10 + random.nextInt(100));
            LossScaler scaler =
                    LossScaler.dynamicBuilder()
                            .optInitialScale(Math.min(max, Math.max(min, 1024f)))
                            .optMinScale(min)
                            .optMaxScale(max)
                            .optGrowthInterval(1 + random.nextInt(50))
                            .optHysteresis(1 + random.nextInt(3))
                            .optGrowthFactor(1.5f + random.nextFloat() * 3f)
                            .optBackoffFactor(0.1f + random.nextFloat() * 0.8f)
                            .build();
            double overflowRate = random.nextDouble() * 0.3;
            for (int step = 0; step < 10_000; step++) {
                scaler.update(random.nextDouble() < overflowRate);
                float s = scaler.scale();
                assertTrue(Float.isFinite(s) && s > 0f, "scale " + s);
                assertTrue(s >= min && s <= max, s + " outside [" + min + ", " + max + "]");
                assertTrue(Float.isFinite(scaler.inverseScale()));
            }
        }
    }

    @Test
    public void unboundedFuzzNeverLeavesTheFiniteRange() {
        Random random = new Random(7);
        LossScaler scaler = LossScaler.dynamicBuilder().optGrowthInterval(1).build();
        for (int step = 0; step < 100_000; step++) {
            scaler.update(random.nextInt(10) == 0);
            assertTrue(Float.isFinite(scaler.scale()) && scaler.scale() > 0f);
        }
    }

    @Test
    public void stateRoundTripsAndIsValidated() {
        LossScaler scaler = LossScaler.dynamicBuilder().optHysteresis(2).build();
        scaler.update(true);
        scaler.update(false);
        scaler.update(false);
        LossScalerState saved = scaler.state();
        LossScaler restored = LossScaler.dynamicBuilder().optHysteresis(2).build();
        restored.restore(saved);
        assertEquals(restored.state(), saved);
        expectThrows(
                IllegalArgumentException.class,
                () -> restored.restore(new LossScalerState(1f, 5000, 0)));
        expectThrows(IllegalArgumentException.class, () -> new LossScalerState(Float.NaN, 0, 0));
        expectThrows(IllegalArgumentException.class, () -> new LossScalerState(1f, -1, 0));
    }

    @Test
    public void fixedAndNone() {
        LossScaler fixed = LossScaler.fixed(128f);
        fixed.update(true);
        assertEquals(fixed.scale(), 128f);
        assertTrue(fixed.isEnabled());
        LossScaler none = LossScaler.none();
        assertFalse(none.isEnabled());
        assertEquals(none.scale(), 1f);
    }

    @Test
    public void badOptionsNameThemselves() {
        assertNamed(() -> LossScaler.fixed(0f), "scale");
        assertNamed(() -> LossScaler.fixed(Float.POSITIVE_INFINITY), "scale");
        assertNamed(() -> LossScaler.dynamicBuilder().optInitialScale(-1f), "initialScale");
        assertNamed(() -> LossScaler.dynamicBuilder().optGrowthFactor(1f), "growthFactor");
        assertNamed(() -> LossScaler.dynamicBuilder().optBackoffFactor(1f), "backoffFactor");
        assertNamed(() -> LossScaler.dynamicBuilder().optBackoffFactor(0f), "backoffFactor");
        assertNamed(() -> LossScaler.dynamicBuilder().optGrowthInterval(0), "growthInterval");
        assertNamed(() -> LossScaler.dynamicBuilder().optHysteresis(0), "hysteresis");
        assertNamed(() -> LossScaler.dynamicBuilder().optMinScale(Float.NaN), "minScale");
        assertNamed(() -> LossScaler.dynamicBuilder().optMaxScale(-2f), "maxScale");
        assertNamed(
                () -> ClippingTrainingListener.builder().optAccumulationSteps(0),
                "accumulationSteps");
        assertNamed(
                () -> ClippingTrainingListener.builder().optMaxConsecutiveSkips(0),
                "maxConsecutiveSkips");
        IllegalStateException e =
                expectThrows(
                        IllegalStateException.class,
                        () -> LossScaler.dynamicBuilder().optMinScale(8f).optMaxScale(4f).build());
        assertTrue(e.getMessage().contains("minScale"), e.getMessage());
    }

    private static void assertNamed(Runnable action, String name) {
        IllegalArgumentException e = expectThrows(IllegalArgumentException.class, action::run);
        assertTrue(e.getMessage().startsWith(name), e.getMessage());
    }
}
