package io.gradguard.examples.finetune;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.dataset.Batch;
import ai.djl.translate.Batchifier;
import java.util.Random;

/**
 * Synthetic data for the fine-tuning example, the same on every engine and every run with the same
 * seed. A fixed random "teacher" maps {@value #FEATURES} Gaussian features to {@value #HIDDEN}
 * features {@code h = tanh(W1 x)}. The pretext task (on which the backbone is pretrained) predicts
 * {@value #PRETEXT_OUTPUTS} linear read-outs of {@code h}; the fine-tuning task predicts one new
 * target, {@code v . h + h_0 h_1}, which the pretrained features make easy and a random backbone
 * makes hard.
 */
final class FineTuneData {

    static final int FEATURES = 16;
    static final int HIDDEN = 24;
    static final int PRETEXT_OUTPUTS = 4;

    private final long seed;
    private final int samples;
    private final float[] features;
    private final float[] pretext;
    private final float[] target;

    /**
     * Draws the teacher and the samples.
     *
     * @param seed the seed of the teacher, the samples and the batch order
     * @param samples the number of samples
     */
    FineTuneData(long seed, int samples) {
        this.seed = seed;
        this.samples = samples;
        Random random = new Random(seed);
        float[][] w1 = gaussian(random, HIDDEN, FEATURES, 1 / Math.sqrt(FEATURES));
        float[][] w2 = gaussian(random, PRETEXT_OUTPUTS, HIDDEN, 1 / Math.sqrt(HIDDEN));
        float[][] v = gaussian(random, 1, HIDDEN, 1 / Math.sqrt(HIDDEN));
        features = new float[samples * FEATURES];
        pretext = new float[samples * PRETEXT_OUTPUTS];
        target = new float[samples];
        float[] h = new float[HIDDEN];
        for (int s = 0; s < samples; s++) {
            for (int f = 0; f < FEATURES; f++) {
                features[s * FEATURES + f] = (float) random.nextGaussian();
            }
            for (int j = 0; j < HIDDEN; j++) {
                double sum = 0;
                for (int f = 0; f < FEATURES; f++) {
                    sum += w1[j][f] * features[s * FEATURES + f];
                }
                h[j] = (float) Math.tanh(sum);
            }
            for (int o = 0; o < PRETEXT_OUTPUTS; o++) {
                pretext[s * PRETEXT_OUTPUTS + o] = dot(w2[o], h);
            }
            target[s] = dot(v[0], h) + h[0] * h[1];
        }
    }

    /** Returns the number of whole batches per pass over the data. */
    int batchesPerEpoch(int batchSize) {
        return samples / batchSize;
    }

    /**
     * Returns batch {@code index} of the fine-tuning task (or the pretext task), in arrays of
     * {@code type} owned by {@code manager}. Batch {@code i} is the same in every run: the order of
     * each pass over the data is a permutation drawn from the seed and the pass number.
     */
    Batch batch(NDManager manager, long index, int batchSize, boolean pretextTask, DataType type) {
        int perEpoch = batchesPerEpoch(batchSize);
        int[] order = permutation((int) (index / perEpoch));
        int first = (int) (index % perEpoch) * batchSize;
        int outputs = pretextTask ? PRETEXT_OUTPUTS : 1;
        float[] labels = pretextTask ? pretext : target;
        float[] x = new float[batchSize * FEATURES];
        float[] y = new float[batchSize * outputs];
        for (int r = 0; r < batchSize; r++) {
            int s = order[first + r];
            System.arraycopy(features, s * FEATURES, x, r * FEATURES, FEATURES);
            System.arraycopy(labels, s * outputs, y, r * outputs, outputs);
        }
        NDArray xs = manager.create(x, new Shape(batchSize, FEATURES)).toType(type, false);
        NDArray ys = manager.create(y, new Shape(batchSize, outputs)).toType(type, false);
        return new Batch(
                manager,
                new NDList(xs),
                new NDList(ys),
                batchSize,
                Batchifier.STACK,
                Batchifier.STACK,
                index,
                perEpoch);
    }

    private int[] permutation(int epoch) {
        int[] order = new int[samples];
        for (int i = 0; i < samples; i++) {
            order[i] = i;
        }
        Random random = new Random(seed * 1_000_003L + epoch);
        for (int i = samples - 1; i > 0; i--) {
            int j = random.nextInt(i + 1);
            int t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
        return order;
    }

    private static float[][] gaussian(Random random, int rows, int cols, double std) {
        float[][] m = new float[rows][cols];
        for (float[] row : m) {
            for (int c = 0; c < cols; c++) {
                row[c] = (float) (random.nextGaussian() * std);
            }
        }
        return m;
    }

    private static float dot(float[] a, float[] b) {
        double sum = 0;
        for (int i = 0; i < a.length; i++) {
            sum += a[i] * b[i];
        }
        return (float) sum;
    }
}
