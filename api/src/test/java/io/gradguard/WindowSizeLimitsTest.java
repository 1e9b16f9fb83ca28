package io.gradguard;

import static org.testng.Assert.assertEquals;
import static org.testng.Assert.assertTrue;
import static org.testng.Assert.expectThrows;

import io.gradguard.clip.ClipStrategy;
import io.gradguard.internal.RollingPercentile;
import io.gradguard.observe.ClipRateMonitor;
import io.gradguard.observe.SpikeForensics;
import java.util.Arrays;
import java.util.Random;
import org.testng.annotations.DataProvider;
import org.testng.annotations.Test;

/**
 * Window and history sizes are bounded by one million: above it, an {@link
 * IllegalArgumentException} names the option and the value at build time (instead of an {@link
 * OutOfMemoryError}); the bound itself is accepted without allocating the whole window.
 */
public class WindowSizeLimitsTest {

    private static final int MAX = 1_000_000;

    /** Each sized option, as a function of its size, with its name. */
    @DataProvider
    public Object[][] options() {
        return new Object[][] {
            {"historySize", (SizedOption) n -> ClipStrategy.autoClip(10f, n)},
            {"warmupSteps", (SizedOption) n -> ClipStrategy.zClip(1f, 0.97f, 2.5f, n)},
            {"steps", (SizedOption) n -> ClipStrategy.calibrate(n)},
            {"steps", (SizedOption) n -> ClipStrategy.calibrate(n, 95f, true)},
            {"window", (SizedOption) n -> ClipRateMonitor.builder().optWindow(n).build()},
            {"window", (SizedOption) n -> SpikeForensics.builder().optWindow(n).build()},
        };
    }

    @Test(dataProvider = "options")
    public void aSizeAboveOneMillionIsRejectedNamingTheOption(String name, SizedOption option) {
        for (int size : new int[] {Integer.MAX_VALUE, MAX + 1, 0, -5}) {
            IllegalArgumentException e =
                    expectThrows(IllegalArgumentException.class, () -> option.build(size));
            assertTrue(e.getMessage().startsWith(name + " "), e.getMessage());
            assertTrue(e.getMessage().contains(Integer.toString(size)), e.getMessage());
            assertTrue(e.getMessage().contains("1000000"), e.getMessage());
        }
        option.build(MAX);
        option.build(1);
    }

    @Test
    public void aLargeHistoryGrowsWithTheValuesSeen() {
        RollingPercentile window = new RollingPercentile(MAX);
        window.add(3);
        window.add(1);
        assertEquals(window.capacity(), MAX);
        assertEquals(window.size(), 2);
        assertEquals(window.percentile(50), 2.0);
    }

    /**
     * A window that grows as values arrive and then wraps keeps the last {@code capacity} values:
     * its percentiles and contents equal those computed from scratch on a sorted copy of them.
     */
    @Test
    public void aGrowingWindowMatchesARecomputationFromScratch() {
        Random random = new Random(11);
        for (int capacity : new int[] {1, 5, 64, 65, 200}) {
            RollingPercentile window = new RollingPercentile(capacity);
            double[] all = new double[3 * capacity + 7];
            for (int i = 0; i < all.length; i++) {
                all[i] = Math.floor(random.nextDouble() * 50); // ties included
                window.add(all[i]);
                int from = Math.max(0, i + 1 - capacity);
                double[] kept = Arrays.copyOfRange(all, from, i + 1);
                assertEquals(window.toArray(), kept, "capacity " + capacity + " after " + i);
                double[] sorted = kept.clone();
                Arrays.sort(sorted);
                for (double q : new double[] {0, 10, 50, 99, 100}) {
                    assertEquals(
                            window.percentile(q),
                            RollingPercentile.interpolate(sorted, sorted.length, q),
                            "capacity " + capacity + ", q " + q + ", after " + i);
                }
            }
        }
    }

    /** Builds something sized. */
    @FunctionalInterface
    interface SizedOption {
        Object build(int size);
    }
}
