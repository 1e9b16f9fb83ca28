package io.gradguard.it.silent;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.core.Linear;
import ai.djl.training.DefaultTrainingConfig;
import ai.djl.training.Trainer;
import ai.djl.training.dataset.Batch;
import ai.djl.training.initializer.Initializer;
import ai.djl.translate.Batchifier;
import ai.djl.util.Pair;
import io.gradguard.it.SeededInitializer;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;

/**
 * A small deterministic model and data set for guard tests, with host-side views of the weights and
 * gradients that share no code with GradGuard: an 8-input MLP, optionally with one {@link Linear}
 * block used twice (tied weights: one {@link Parameter} under two names).
 */
public final class GuardHarness implements AutoCloseable {

    static final int FEATURES = 8;
    static final int BATCH = 8;
    static final int SAMPLES = 64;

    private final Model model;
    private final NDManager data;
    private final NDArray features;
    private final NDArray labels;
    private final Linear first;

    /**
     * Builds the model and the data.
     *
     * @param engine the engine name
     * @param seed the data seed
     * @param tied whether one Linear block is used twice
     */
    public GuardHarness(String engine, long seed, boolean tied) {
        model = Model.newInstance("guard-harness-" + seed, Device.cpu(), engine);
        first = Linear.builder().setUnits(8).build();
        SequentialBlock block = new SequentialBlock().add(first).add(Activation::tanh);
        if (tied) {
            Linear shared = Linear.builder().setUnits(8).build();
            block.add(shared).add(Activation::tanh).add(shared).add(Activation::tanh);
        }
        block.add(Linear.builder().setUnits(1).build());
        model.setBlock(block);
        data = NDManager.newBaseManager(Device.cpu(), engine);
        Random random = new Random(seed);
        float[] x = new float[SAMPLES * FEATURES];
        float[] y = new float[SAMPLES];
        for (int i = 0; i < SAMPLES; i++) {
            float target = 0f;
            for (int j = 0; j < FEATURES; j++) {
                x[i * FEATURES + j] = (float) random.nextGaussian();
                target += x[i * FEATURES + j] * (j - 3.5f);
            }
            y[i] = i % 8 == 0 ? target * 40f : target; // some large gradients to clip
        }
        features = data.create(x, new Shape(SAMPLES, FEATURES));
        labels = data.create(y, new Shape(SAMPLES, 1));
    }

    Model model() {
        return model;
    }

    /** The first dense layer, the one tests freeze and unfreeze. */
    Block firstLayer() {
        return first;
    }

    /**
     * Creates the trainer with seeded initial weights.
     *
     * @param config the configuration
     * @param seed the weight seed
     * @return the initialized trainer
     */
    public Trainer newTrainer(DefaultTrainingConfig config, long seed) {
        Initializer initializer = SeededInitializer.gaussian(seed, 0.4);
        config.optInitializer(initializer, parameter -> true);
        model.getBlock().setInitializer(initializer, parameter -> true);
        Trainer trainer = model.newTrainer(config);
        trainer.initialize(new Shape(BATCH, FEATURES));
        return trainer;
    }

    /** Batch {@code index} (cycling over the data), owned by {@code manager}. */
    /**
     * Returns batch {@code index}, cycling over the data.
     *
     * @param manager the batch's owner
     * @param index the batch index
     * @return the batch
     */
    public Batch batch(NDManager manager, int index) {
        int count = SAMPLES / BATCH;
        int b = index % count;
        String range = (b * BATCH) + ":" + ((b + 1) * BATCH);
        NDArray x = features.get(new NDIndex(range));
        NDArray y = labels.get(new NDIndex(range));
        x.attach(manager);
        y.attach(manager);
        return new Batch(
                manager,
                new NDList(x),
                new NDList(y),
                BATCH,
                Batchifier.STACK,
                Batchifier.STACK,
                b,
                count);
    }

    /** The distinct parameters of the model, each once, in block order. */
    List<Parameter> distinctParameters() {
        Set<Parameter> seen = Collections.newSetFromMap(new IdentityHashMap<>());
        List<Parameter> out = new ArrayList<>();
        for (Pair<String, Parameter> pair : model.getBlock().getParameters()) {
            if (seen.add(pair.getValue())) {
                out.add(pair.getValue());
            }
        }
        return out;
    }

    /** Host copies of every distinct parameter's value. */
    Map<Parameter, float[]> weights() {
        Map<Parameter, float[]> out = new LinkedHashMap<>();
        for (Parameter p : distinctParameters()) {
            out.put(p, p.getArray().toType(DataType.FLOAT32, false).toFloatArray());
        }
        return out;
    }

    /** The L2 distance between two weight snapshots, in double. */
    static double distance(Map<Parameter, float[]> a, Map<Parameter, float[]> b) {
        double sum = 0;
        for (Map.Entry<Parameter, float[]> entry : a.entrySet()) {
            float[] x = entry.getValue();
            float[] y = b.get(entry.getKey());
            for (int i = 0; i < x.length; i++) {
                double d = (double) x[i] - y[i];
                sum += d * d;
            }
        }
        return Math.sqrt(sum);
    }

    /** Whether every weight of a snapshot is finite. */
    static boolean allFinite(Map<Parameter, float[]> weights) {
        for (float[] w : weights.values()) {
            for (float v : w) {
                if (!Float.isFinite(v)) {
                    return false;
                }
            }
        }
        return true;
    }

    /** The mean squared error of the model on the whole data set, computed on the host. */
    double hostLoss() {
        try (NDManager scope = data.newSubManager()) {
            NDList out =
                    model.getBlock()
                            .forward(
                                    new ai.djl.training.ParameterStore(scope, false),
                                    new NDList(features),
                                    false);
            float[] pred = out.singletonOrThrow().toFloatArray();
            float[] y = labels.toFloatArray();
            double sum = 0;
            for (int i = 0; i < y.length; i++) {
                double d = pred[i] - y[i];
                sum += d * d;
            }
            return sum / y.length;
        }
    }

    /** Closes the data and the model. */
    @Override
    public void close() {
        data.close();
        model.close();
    }
}
