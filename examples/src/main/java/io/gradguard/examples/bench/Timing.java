package io.gradguard.examples.bench;

import java.util.Arrays;
import java.util.Locale;

/**
 * The summary of repeated timings of one operation, in milliseconds: the median and the spread
 * (minimum, quartiles, maximum). Quartiles are interpolated linearly between order statistics.
 *
 * @param median the median
 * @param min the fastest trial
 * @param q1 the first quartile
 * @param q3 the third quartile
 * @param max the slowest trial
 * @param trials the number of trials
 */
record Timing(double median, double min, double q1, double q3, double max, int trials) {

    /** Validates the summary. */
    public Timing {
        if (trials < 1) {
            throw new IllegalArgumentException("trials must be >= 1, got " + trials);
        }
        if (!(min <= q1 && q1 <= median && median <= q3 && q3 <= max)) {
            throw new IllegalArgumentException(
                    "order statistics out of order: "
                            + min
                            + ", "
                            + q1
                            + ", "
                            + median
                            + ", "
                            + q3
                            + ", "
                            + max);
        }
    }

    /**
     * Summarizes timings measured in nanoseconds.
     *
     * @param nanos one duration per trial; not modified
     * @return the summary in milliseconds
     * @throws IllegalArgumentException if {@code nanos} is empty
     */
    public static Timing ofNanos(long[] nanos) {
        if (nanos.length == 0) {
            throw new IllegalArgumentException("nanos is empty: time at least one trial");
        }
        double[] ms = new double[nanos.length];
        for (int i = 0; i < nanos.length; i++) {
            ms[i] = nanos[i] / 1e6;
        }
        Arrays.sort(ms);
        return new Timing(
                quantile(ms, 0.5),
                ms[0],
                quantile(ms, 0.25),
                quantile(ms, 0.75),
                ms[ms.length - 1],
                ms.length);
    }

    /**
     * Returns the q-quantile of sorted values, interpolating linearly between the two nearest order
     * statistics ({@code numpy.quantile}'s default).
     *
     * @param sorted values in ascending order, at least one
     * @param q the quantile, in [0, 1]
     * @return the quantile
     */
    static double quantile(double[] sorted, double q) {
        double position = q * (sorted.length - 1);
        int below = (int) Math.floor(position);
        int above = Math.min(below + 1, sorted.length - 1);
        double fraction = position - below;
        return sorted[below] + fraction * (sorted[above] - sorted[below]);
    }

    /**
     * Formats the median and the interquartile range, such as {@code "1.234 [1.201-1.302]"}.
     *
     * @return the formatted figure
     */
    public String format() {
        return String.format(
                Locale.ROOT, "%s [%s-%s]", significant(median), significant(q1), significant(q3));
    }

    /**
     * Formats a number of milliseconds with three significant digits (at least one decimal).
     *
     * @param ms the value
     * @return the text
     */
    static String significant(double ms) {
        if (ms >= 100) {
            return String.format(Locale.ROOT, "%.0f", ms);
        }
        if (ms >= 10) {
            return String.format(Locale.ROOT, "%.1f", ms);
        }
        if (ms >= 1) {
            return String.format(Locale.ROOT, "%.2f", ms);
        }
        return String.format(Locale.ROOT, "%.3f", ms);
    }
}
