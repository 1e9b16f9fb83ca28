package io.gradguard.observe;

import java.util.Arrays;

/** The per-step series a norm chart plots, in growable primitive arrays. */
final class ChartData {

    private double[] steps = new double[256];
    private double[] norms = new double[256];
    private double[] thresholds = new double[256];
    private double[] lossScales = new double[256];
    private boolean[] clipped = new boolean[256];
    private boolean[] skipped = new boolean[256];
    private int size;

    void add(long step, float norm, float threshold, float lossScale, boolean clip, boolean skip) {
        if (size == steps.length) {
            int capacity = size * 2;
            steps = Arrays.copyOf(steps, capacity);
            norms = Arrays.copyOf(norms, capacity);
            thresholds = Arrays.copyOf(thresholds, capacity);
            lossScales = Arrays.copyOf(lossScales, capacity);
            clipped = Arrays.copyOf(clipped, capacity);
            skipped = Arrays.copyOf(skipped, capacity);
        }
        steps[size] = step;
        norms[size] = norm;
        thresholds[size] = threshold;
        lossScales[size] = lossScale;
        clipped[size] = clip;
        skipped[size] = skip;
        size++;
    }

    int size() {
        return size;
    }

    double step(int i) {
        return steps[i];
    }

    double norm(int i) {
        return norms[i];
    }

    double threshold(int i) {
        return thresholds[i];
    }

    double lossScale(int i) {
        return lossScales[i];
    }

    boolean clipped(int i) {
        return clipped[i];
    }

    boolean skipped(int i) {
        return skipped[i];
    }
}
