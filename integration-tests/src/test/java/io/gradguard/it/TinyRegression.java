package io.gradguard.it;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.Parameter;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.core.Linear;
import ai.djl.training.DefaultTrainingConfig;
import ai.djl.training.EasyTrain;
import ai.djl.training.Trainer;
import ai.djl.training.dataset.ArrayDataset;
import ai.djl.training.listener.TrainingListener;
import ai.djl.training.loss.Loss;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.util.Pair;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * A small, fully deterministic regression problem: an 8-16-1 MLP whose weights are set from a
 * seeded {@link Random} after initialization, trained on a fixed dataset in fixed order. Two runs
 * with the same seed and the same listeners produce bit-identical weights on one engine.
 */
final class TinyRegression implements AutoCloseable {

    static final int FEATURES = 8;
    static final int SAMPLES = 64;
    static final int BATCH = 16;

    private final int samples;
    private NDArray allFeatures;
    private NDArray allLabels;

    private final Model model;
    private final NDManager dataManager;
    private final ArrayDataset dataset;

    TinyRegression(String engine, long seed) {
        this(engine, seed, DataType.FLOAT32);
    }

    TinyRegression(String engine, long seed, DataType dataType) {
        this(engine, seed, dataType, SAMPLES, BATCH);
    }

    TinyRegression(String engine, long seed, DataType dataType, int samples, int batch) {
        this.samples = samples;
        model = Model.newInstance("tiny-" + seed, Device.cpu(), engine);
        model.setDataType(dataType);
        model.setBlock(
                new SequentialBlock()
                        .add(Linear.builder().setUnits(16).build())
                        .add(Activation::relu)
                        .add(Linear.builder().setUnits(1).build()));
        dataManager = NDManager.newBaseManager(Device.cpu(), engine);
        dataManager.setName("data");
        Random random = new Random(seed);
        float[] x = new float[samples * FEATURES];
        float[] y = new float[samples];
        for (int i = 0; i < samples; i++) {
            float target = 0f;
            for (int j = 0; j < FEATURES; j++) {
                float v = (float) random.nextGaussian();
                x[i * FEATURES + j] = v;
                target += v * (j - 3.5f);
            }
            // A few large targets give large gradients, so clipping has something to do.
            y[i] = i % 16 == 0 ? target * 50f : target;
        }
        // bfloat16 arrays abort the JVM inside DJL's PyTorch JNI: keep such data in float32, the
        // guard refuses the model before anything touches it.
        DataType dataTypeOfData = dataType == DataType.BFLOAT16 ? DataType.FLOAT32 : dataType;
        NDArray features =
                dataManager.create(x, new Shape(samples, FEATURES)).toType(dataTypeOfData, false);
        NDArray labels = dataManager.create(y, new Shape(samples, 1)).toType(dataTypeOfData, false);
        allFeatures = features;
        allLabels = labels;
        dataset =
                new ArrayDataset.Builder()
                        .setData(features)
                        .optLabels(labels)
                        .setSampling(batch, false)
                        .build();
    }

    Model model() {
        return model;
    }

    /** Builds a trainer and initializes the model with seeded values. */
    Trainer newTrainer(Optimizer optimizer, long seed, TrainingListener... listeners) {
        DefaultTrainingConfig config =
                new DefaultTrainingConfig(Loss.l2Loss()).optOptimizer(optimizer);
        for (TrainingListener l : listeners) {
            config.addTrainingListeners(l);
        }
        return newTrainer(config, seed);
    }

    /** Builds a trainer from a configuration, with seeded initial weights. */
    Trainer newTrainer(DefaultTrainingConfig config, long seed) {
        return newTrainer(config, seed, Model::newTrainer);
    }

    /**
     * Builds a trainer with seeded initial weights through {@code factory}, which may return a
     * {@link Trainer} subclass (the block's initializer is set here, as {@code Model.newTrainer}
     * would).
     */
    Trainer newTrainer(
            DefaultTrainingConfig config,
            long seed,
            java.util.function.BiFunction<Model, DefaultTrainingConfig, Trainer> factory) {
        ai.djl.training.initializer.Initializer initializer = SeededInitializer.gaussian(seed, 0.3);
        config.optInitializer(initializer, parameter -> true);
        model.getBlock().setInitializer(initializer, parameter -> true);
        Trainer trainer = factory.apply(model, config);
        trainer.initialize(new Shape(BATCH, FEATURES));
        return trainer;
    }

    ArrayDataset dataset() {
        return dataset;
    }

    void fit(Trainer trainer, int epochs) {
        try {
            EasyTrain.fit(trainer, epochs, dataset, null);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * Returns the data as explicit batches of {@code batchSize} in order (the last one shorter if
     * the size does not divide), repeated for {@code epochs}, for custom loops.
     */
    List<ai.djl.training.dataset.Batch> explicitBatches(
            NDManager manager, int batchSize, int epochs) {
        List<ai.djl.training.dataset.Batch> out = new ArrayList<>();
        int count = (samples + batchSize - 1) / batchSize;
        for (int epoch = 0; epoch < epochs; epoch++) {
            for (int b = 0; b < count; b++) {
                out.add(batch(manager, batchSize, b));
            }
        }
        return out;
    }

    /**
     * Returns batch {@code index} of {@code batchSize} samples (the last one shorter if the size
     * does not divide), owned by {@code manager}. DJL's {@code Batch.split} moves a batch's arrays
     * into a new child of its manager at every training step, and the step's forward arrays land
     * there: a batch used for many steps holds them all until it is closed. Long loops should take
     * a fresh batch in a per-step manager.
     */
    ai.djl.training.dataset.Batch batch(NDManager manager, int batchSize, int index) {
        int count = (samples + batchSize - 1) / batchSize;
        int end = Math.min(samples, (index + 1) * batchSize);
        String range = (index * batchSize) + ":" + end;
        NDArray x = allFeatures.get(new ai.djl.ndarray.index.NDIndex(range));
        NDArray y = allLabels.get(new ai.djl.ndarray.index.NDIndex(range));
        x.attach(manager);
        y.attach(manager);
        return new ai.djl.training.dataset.Batch(
                manager,
                new ai.djl.ndarray.NDList(x),
                new ai.djl.ndarray.NDList(y),
                end - index * batchSize,
                ai.djl.translate.Batchifier.STACK,
                ai.djl.translate.Batchifier.STACK,
                index,
                count);
    }

    /** Counts the arrays held under the model's manager (parameters, trainers and their steps). */
    int modelArrays() {
        return model.getNDManager().getManagedArrays().size();
    }

    /** Tells whether any parameter of the block holds an array. */
    boolean anyParameterInitialized() {
        for (Pair<String, Parameter> pair : model.getBlock().getParameters()) {
            if (pair.getValue().isInitialized()) {
                return true;
            }
        }
        return false;
    }

    List<float[]> weights() {
        List<float[]> out = new ArrayList<>();
        for (Pair<String, Parameter> pair : model.getBlock().getParameters()) {
            out.add(pair.getValue().getArray().toType(DataType.FLOAT32, false).toFloatArray());
        }
        return out;
    }

    @Override
    public void close() {
        dataManager.close();
        model.close();
    }
}
