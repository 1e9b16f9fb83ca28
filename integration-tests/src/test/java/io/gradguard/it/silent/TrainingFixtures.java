package io.gradguard.it.silent;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.dataset.ArrayDataset;
import ai.djl.training.loss.Loss;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.Tracker;
import java.util.Random;

/**
 * What the loss-scale overflow and data-fault kits share: their optimizer, a loss that can turn NaN
 * on demand, a small data set for {@code EasyTrain.fit}, and the smallest loss scale a dynamic
 * scaler may reach.
 */
final class TrainingFixtures {

    /**
     * The smallest float whose inverse, computed in double and rounded to float, is finite: found
     * by walking down from 2^-127 (inverse 2^127) one float at a time.
     */
    static final float FLOOR = smallestInvertibleScale();

    private static float smallestInvertibleScale() {
        float s = 0x1p-127f;
        while (Float.isFinite((float) (1.0 / Math.nextDown(s)))) {
            s = Math.nextDown(s);
        }
        return s;
    }

    /** Plain SGD with a fixed learning rate of 0.01. */
    static Optimizer sgd() {
        return Optimizer.sgd().setLearningRateTracker(Tracker.fixed(0.01f)).build();
    }

    /** A loss that, while armed, returns NaN: a data fault. */
    static final class NanLoss extends Loss {
        private final Loss inner = Loss.l2Loss();
        boolean armed;

        NanLoss() {
            super("L2Loss");
        }

        @Override
        public NDArray evaluate(NDList labels, NDList predictions) {
            NDArray value = inner.evaluate(labels, predictions);
            return armed ? value.mul(Float.NaN) : value;
        }
    }

    /** 32 Gaussian samples with zero labels, in batches of {@link GuardHarness#BATCH}, in order. */
    static ArrayDataset dataset(NDManager manager) {
        Random random = new Random(5);
        float[] x = new float[32 * GuardHarness.FEATURES];
        float[] y = new float[32];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) random.nextGaussian();
        }
        return new ArrayDataset.Builder()
                .setData(manager.create(x, new Shape(32, GuardHarness.FEATURES)))
                .optLabels(manager.create(y, new Shape(32, 1)))
                .setSampling(GuardHarness.BATCH, false)
                .build();
    }

    private TrainingFixtures() {}
}
