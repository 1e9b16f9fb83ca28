package io.gradguard.it.scenario;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.core.Linear;
import ai.djl.nn.recurrent.LSTM;
import ai.djl.training.DefaultTrainingConfig;
import ai.djl.training.Trainer;
import ai.djl.training.dataset.Batch;
import ai.djl.training.initializer.Initializer;
import ai.djl.translate.Batchifier;
import ai.djl.util.Pair;
import io.gradguard.it.SeededInitializer;
import io.gradguard.it.scenario.ScenarioSpec.LayerState;
import io.gradguard.it.scenario.ScenarioSpec.ModelShape;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Random;
import java.util.Set;

/**
 * The model and data of a scenario: a block built from a {@link ModelShape}, weights set from a
 * seeded initializer, and a few fixed micro-batches served in turn. Two instances built from the
 * same spec train bit-identically on one engine.
 */
final class ScenarioModel implements AutoCloseable {

    static final int FEATURES = 4;
    static final int TIME_STEPS = 3;
    static final int DISTINCT_BATCHES = 4;

    private final Model model;
    private final List<Block> layers = new ArrayList<>();
    private final ModelShape shape;
    private final int batchSize;
    private final float[][] features = new float[DISTINCT_BATCHES][];
    private final float[][] labels = new float[DISTINCT_BATCHES][];

    ScenarioModel(String engine, ScenarioSpec spec) {
        this.shape = spec.model();
        this.batchSize = spec.batchSize();
        model = Model.newInstance("scenario-" + spec.seed(), Device.cpu(), engine);
        model.setBlock(shape.recurrent() ? recurrentBlock() : denseBlock());
        Random random = new Random(spec.seed() ^ 0xDA7AL);
        int steps = shape.recurrent() ? TIME_STEPS : 1;
        for (int b = 0; b < DISTINCT_BATCHES; b++) {
            features[b] = new float[batchSize * steps * FEATURES];
            labels[b] = new float[batchSize * steps];
            for (int i = 0; i < batchSize * steps; i++) {
                float target = 0f;
                for (int j = 0; j < FEATURES; j++) {
                    float v = (float) random.nextGaussian();
                    features[b][i * FEATURES + j] = v;
                    target += v * (j - 1.5f);
                }
                // One large target per batch gives large gradients: thresholds have work to do.
                labels[b][i] = i == 0 ? target * 20f : target;
            }
        }
    }

    private Block denseBlock() {
        SequentialBlock block = new SequentialBlock();
        for (int i = 0; i < shape.hiddenLayers(); i++) {
            Linear hidden = Linear.builder().setUnits(8).build();
            layers.add(hidden);
            block.add(hidden).add(Activation::tanh);
        }
        if (shape.tied()) {
            // The same block twice: one Parameter (one array) under two names.
            Linear tied = Linear.builder().setUnits(8).build();
            layers.add(tied);
            block.add(tied).add(Activation::tanh).add(tied).add(Activation::tanh);
        }
        Linear head = Linear.builder().setUnits(1).build();
        layers.add(head);
        return block.add(head);
    }

    private Block recurrentBlock() {
        LSTM lstm =
                LSTM.builder()
                        .setStateSize(4)
                        .setNumLayers(1)
                        .optBatchFirst(true)
                        .optReturnState(false)
                        .build();
        Linear head = Linear.builder().setUnits(1).build();
        layers.add(lstm);
        layers.add(head);
        return new SequentialBlock().add(lstm).add(head);
    }

    Model model() {
        return model;
    }

    /** Creates the trainer and, unless the model was loaded, gives it seeded weights. */
    Trainer newTrainer(DefaultTrainingConfig config, long seed) {
        Initializer initializer = SeededInitializer.gaussian(seed, 0.3);
        config.optInitializer(initializer, parameter -> true);
        model.getBlock().setInitializer(initializer, parameter -> true);
        Trainer trainer = model.newTrainer(config);
        trainer.initialize(inputShape());
        return trainer;
    }

    private Shape inputShape() {
        return shape.recurrent()
                ? new Shape(batchSize, TIME_STEPS, FEATURES)
                : new Shape(batchSize, FEATURES);
    }

    /** Returns micro-batch {@code index} (the data repeats every few batches), owned by manager. */
    Batch batch(NDManager manager, int index) {
        int b = index % DISTINCT_BATCHES;
        Shape labelShape =
                shape.recurrent() ? new Shape(batchSize, TIME_STEPS, 1) : new Shape(batchSize, 1);
        NDArray x = manager.create(features[b], inputShape());
        NDArray y = manager.create(labels[b], labelShape);
        return new Batch(
                manager,
                new NDList(x),
                new NDList(y),
                batchSize,
                Batchifier.STACK,
                Batchifier.STACK,
                index,
                Integer.MAX_VALUE);
    }

    /**
     * Puts the layers into the given freeze states; a layer whose state did not change is left
     * alone unless {@code force} (a loaded model's trainer unfreezes everything).
     */
    void applyLayers(List<LayerState> previous, List<LayerState> next, boolean force) {
        for (int i = 0; i < layers.size(); i++) {
            LayerState state = next.get(i);
            if (!force && previous != null && previous.get(i) == state) {
                continue;
            }
            Block layer = layers.get(i);
            layer.freezeParameters(state == LayerState.FROZEN);
            if (state == LayerState.LAST_FROZEN) {
                ai.djl.util.PairList<String, Parameter> params = layer.getParameters();
                params.get(params.size() - 1).getValue().freeze(true);
            }
        }
    }

    /** Returns each distinct parameter once (a tied one under its first name), in block order. */
    List<Pair<String, Parameter>> distinctParameters() {
        Set<Parameter> seen = Collections.newSetFromMap(new IdentityHashMap<>());
        List<Pair<String, Parameter>> out = new ArrayList<>();
        for (Pair<String, Parameter> pair : model.getBlock().getParameters()) {
            if (seen.add(pair.getValue())) {
                out.add(pair);
            }
        }
        return out;
    }

    /** Reads every distinct parameter's values to the host. */
    List<float[]> weights() {
        List<float[]> out = new ArrayList<>();
        for (Pair<String, Parameter> pair : distinctParameters()) {
            out.add(pair.getValue().getArray().toFloatArray());
        }
        return out;
    }

    @Override
    public void close() {
        model.close();
    }
}
