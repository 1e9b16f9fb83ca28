package io.gradguard.examples.bench;

import static org.testng.Assert.assertEquals;
import static org.testng.Assert.assertThrows;

import org.testng.annotations.Test;

/** The order statistics of {@link Timing}, worked by hand (numpy's default linear quantiles). */
public class TimingTest {

    /** Five trials: the quartiles fall on order statistics. */
    @Test
    public void oddCount() {
        // 1..5 ms in shuffled order; positions q*(n-1): 1, 2, 3 -> values 2, 3, 4.
        Timing t =
                Timing.ofNanos(new long[] {3_000_000, 5_000_000, 1_000_000, 4_000_000, 2_000_000});
        assertEquals(t.min(), 1.0, 1e-12);
        assertEquals(t.q1(), 2.0, 1e-12);
        assertEquals(t.median(), 3.0, 1e-12);
        assertEquals(t.q3(), 4.0, 1e-12);
        assertEquals(t.max(), 5.0, 1e-12);
        assertEquals(t.trials(), 5);
    }

    /** Four trials: quartiles interpolate, at positions 0.75, 1.5 and 2.25 of [1, 2, 3, 4]. */
    @Test
    public void evenCount() {
        Timing t = Timing.ofNanos(new long[] {4_000_000, 1_000_000, 3_000_000, 2_000_000});
        assertEquals(t.q1(), 1.75, 1e-12);
        assertEquals(t.median(), 2.5, 1e-12);
        assertEquals(t.q3(), 3.25, 1e-12);
    }

    /** One trial is its own median and spread. */
    @Test
    public void singleTrial() {
        Timing t = Timing.ofNanos(new long[] {1_500_000});
        assertEquals(t.format(), "1.50 [1.50-1.50]");
    }

    /** Three significant digits, whatever the magnitude. */
    @Test
    public void formatting() {
        assertEquals(Timing.significant(0.012345), "0.012");
        assertEquals(Timing.significant(1.2345), "1.23");
        assertEquals(Timing.significant(12.345), "12.3");
        assertEquals(Timing.significant(123.45), "123");
    }

    /** No trial, no timing. */
    @Test
    public void emptyIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> Timing.ofNanos(new long[0]));
    }
}
