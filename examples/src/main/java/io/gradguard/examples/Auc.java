package io.gradguard.examples;

import java.util.Arrays;

/**
 * The exact area under the ROC curve, from ranks (the Mann-Whitney U statistic).
 *
 * <p>{@code AUC = (R_pos - n_pos (n_pos + 1) / 2) / (n_pos n_neg)}, where {@code R_pos} is the sum
 * of the ranks (1-based, ascending score) of the positive examples and tied scores share the mean
 * of their ranks. It equals the probability that a random positive scores above a random negative,
 * ties counting one half (Hanley and McNeil, Radiology 143, 1982).
 */
public final class Auc {

    private Auc() {}

    /**
     * Computes the AUC of {@code scores} against binary {@code labels}.
     *
     * @param scores one finite score per example, higher meaning more likely positive
     * @param labels one label per example, 0 or 1
     * @return the AUC in [0, 1]
     * @throws IllegalArgumentException if the lengths differ, a score is not finite, a label is
     *     neither 0 nor 1, or one class is missing
     */
    public static double of(float[] scores, float[] labels) {
        if (scores.length != labels.length) {
            throw new IllegalArgumentException(
                    "scores and labels differ in length: "
                            + scores.length
                            + " vs "
                            + labels.length);
        }
        int n = scores.length;
        long positives = 0;
        for (int i = 0; i < n; i++) {
            if (!Float.isFinite(scores[i])) {
                throw new IllegalArgumentException("scores[" + i + "] is " + scores[i]);
            }
            if (labels[i] != 0f && labels[i] != 1f) {
                throw new IllegalArgumentException("labels[" + i + "] is " + labels[i]);
            }
            positives += labels[i] == 1f ? 1 : 0;
        }
        long negatives = n - positives;
        if (positives == 0 || negatives == 0) {
            throw new IllegalArgumentException(
                    "labels need both classes, got " + positives + " positives of " + n);
        }
        Integer[] order = new Integer[n];
        Arrays.setAll(order, i -> i);
        Arrays.sort(order, (a, b) -> Float.compare(scores[a], scores[b]));
        double positiveRankSum = 0;
        int start = 0;
        while (start < n) {
            int end = start;
            while (end + 1 < n && scores[order[end + 1]] == scores[order[start]]) {
                end++;
            }
            double meanRank = (start + end) / 2.0 + 1;
            for (int k = start; k <= end; k++) {
                positiveRankSum += labels[order[k]] == 1f ? meanRank : 0;
            }
            start = end + 1;
        }
        double u = positiveRankSum - positives * (positives + 1) / 2.0;
        return u / ((double) positives * negatives);
    }
}
