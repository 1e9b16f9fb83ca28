package io.gradguard.examples;

import io.gradguard.StepReport;
import java.util.Arrays;
import java.util.List;

/**
 * Order statistics of the finite pre-clip gradient norms of a run.
 *
 * @param median the median norm (nearest rank), NaN without finite norms
 * @param p99 the 99th percentile norm (nearest rank), NaN without finite norms
 * @param max the largest finite norm, NaN without finite norms
 * @param nonFinite the number of steps whose norm was NaN or infinite
 */
public record NormSummary(float median, float p99, float max, int nonFinite) {

    /**
     * Summarises the norms of {@code reports}. Percentiles use the nearest-rank rule: the value of
     * rank {@code ceil(q n)} among the {@code n} sorted finite norms.
     *
     * @param reports the step reports of one run
     * @return the summary
     */
    public static NormSummary of(List<StepReport> reports) {
        float[] finite = new float[reports.size()];
        int n = 0;
        int nonFinite = 0;
        for (StepReport report : reports) {
            if (Float.isFinite(report.totalNorm())) {
                finite[n++] = report.totalNorm();
            } else {
                nonFinite++;
            }
        }
        if (n == 0) {
            return new NormSummary(Float.NaN, Float.NaN, Float.NaN, nonFinite);
        }
        float[] sorted = Arrays.copyOf(finite, n);
        Arrays.sort(sorted);
        return new NormSummary(
                nearestRank(sorted, 0.5), nearestRank(sorted, 0.99), sorted[n - 1], nonFinite);
    }

    private static float nearestRank(float[] sorted, double q) {
        int rank = (int) Math.ceil(q * sorted.length);
        return sorted[Math.max(0, rank - 1)];
    }
}
