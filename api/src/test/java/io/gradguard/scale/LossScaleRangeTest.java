package io.gradguard.scale;

import static org.testng.Assert.assertEquals;
import static org.testng.Assert.assertTrue;

import org.testng.annotations.Test;

/** The bounds of the loss scale and the dynamic scaler's floor. */
public class LossScaleRangeTest {

    @Test
    public void theFloorIsTheSmallestScaleWithAFiniteInverse() {
        float floor = LossScaleRange.MIN_SCALE;
        assertTrue(Float.isFinite((float) (1.0 / floor)));
        assertTrue(Float.isInfinite((float) (1.0 / Math.nextDown(floor))));
        // Within one subnormal step (2^-149 = 1.4e-45) of 1 / Float.MAX_VALUE = 2.9387358e-39.
        assertEquals(floor, 1.0 / Float.MAX_VALUE, 0x1p-149);
        assertEquals(LossScaleRange.MAX_SCALE, 0x1p126f, "1/2^126 = MIN_NORMAL, the last normal");
    }

    @Test
    public void backingOffStopsAtTheFloor() {
        LossScaler scaler = LossScaler.dynamic();
        float expected = 65536f;
        for (int i = 0; i < 200; i++) {
            assertEquals(scaler.scale(), expected, "overflow " + i);
            scaler.update(true);
            expected = Math.max(expected * 0.5f, LossScaleRange.MIN_SCALE);
        }
        assertEquals(scaler.scale(), LossScaleRange.MIN_SCALE);
        assertTrue(Float.isFinite(scaler.inverseScale()));
        assertTrue(scaler.inverseScale() >= Float.MIN_NORMAL);
    }
}
