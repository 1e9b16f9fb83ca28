package io.gradguard.testkit;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/** Seeded random gradient sets for the property tests of the contract kit. */
public final class RandomGradients {

    private RandomGradients() {}

    /**
     * Draws 1 to 6 tensors of rank 1 to 3 (each dimension 1 to 7), with normal values at a scale
     * between 1e-2 and 1e1 per tensor.
     *
     * @param seed the seed; the same seed gives the same set
     * @return the tensors
     */
    public static List<HostTensor> draw(long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        int count = 1 + random.nextInt(6);
        List<HostTensor> out = new ArrayList<>(count);
        for (int t = 0; t < count; t++) {
            long[] shape = new long[1 + random.nextInt(3)];
            int size = 1;
            for (int d = 0; d < shape.length; d++) {
                shape[d] = 1 + random.nextInt(7);
                size *= (int) shape[d];
            }
            double scale = Math.pow(10, -2 + 3 * random.nextDouble());
            float[] values = new float[size];
            for (int i = 0; i < size; i++) {
                values[i] = (float) (scale * random.nextGaussian());
            }
            out.add(new HostTensor(shape, values));
        }
        return out;
    }

    /**
     * Returns the p-norm of all values taken as one vector, computed in double.
     *
     * @param tensors the tensors
     * @param normType {@code p >= 1} or {@link Float#POSITIVE_INFINITY}
     * @return the norm
     */
    public static double norm(List<HostTensor> tensors, float normType) {
        double acc = 0;
        for (double v : HostTensor.concat(tensors)) {
            double a = Math.abs(v);
            acc = Float.isInfinite(normType) ? Math.max(acc, a) : acc + Math.pow(a, normType);
        }
        return Float.isInfinite(normType) ? acc : Math.pow(acc, 1.0 / normType);
    }

    /**
     * Returns the cosine similarity of two lists of tensors taken as vectors, computed in double.
     *
     * @param a the first tensors
     * @param b the second tensors, with as many values as {@code a}
     * @return {@code a.b / (|a| |b|)}
     */
    public static double cosine(List<HostTensor> a, List<HostTensor> b) {
        double[] x = HostTensor.concat(a);
        double[] y = HostTensor.concat(b);
        double dot = 0;
        double xx = 0;
        double yy = 0;
        for (int i = 0; i < x.length; i++) {
            dot += x[i] * y[i];
            xx += x[i] * x[i];
            yy += y[i] * y[i];
        }
        return dot / Math.sqrt(xx * yy);
    }
}
