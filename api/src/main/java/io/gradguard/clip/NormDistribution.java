package io.gradguard.clip;

import java.util.Locale;

/**
 * A summary of observed total gradient norms, the numbers a practitioner looks at before choosing a
 * clipping threshold. Percentiles use linear interpolation (numpy's default).
 *
 * @param count how many finite norms were observed
 * @param min the smallest norm
 * @param p50 the median
 * @param p90 the 90th percentile
 * @param p98 the 98th percentile
 * @param p99 the 99th percentile
 * @param max the largest norm
 */
public record NormDistribution(
        int count, float min, float p50, float p90, float p98, float p99, float max) {

    /**
     * Checks that at least one norm was observed.
     *
     * @param count the record component {@code count}
     * @param min the record component {@code min}
     * @param p50 the record component {@code p50}
     * @param p90 the record component {@code p90}
     * @param p98 the record component {@code p98}
     * @param p99 the record component {@code p99}
     * @param max the record component {@code max}
     */
    public NormDistribution {
        if (count < 1) {
            throw new IllegalArgumentException("count must be >= 1, got " + count);
        }
    }

    /**
     * Returns a one-line summary, for logs.
     *
     * @return for example {@code "500 norms: min 0.12, p50 0.84, p90 1.31, p98 2.05, p99 2.70, max
     *     9.4"}
     */
    @Override
    public String toString() {
        return String.format(
                Locale.ROOT,
                "%d norms: min %.4g, p50 %.4g, p90 %.4g, p98 %.4g, p99 %.4g, max %.4g",
                count,
                min,
                p50,
                p90,
                p98,
                p99,
                max);
    }
}
