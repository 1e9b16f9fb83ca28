package io.gradguard.it.misuse;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.nn.core.Linear;
import ai.djl.training.DefaultTrainingConfig;
import ai.djl.training.Trainer;
import ai.djl.training.dataset.Batch;
import ai.djl.training.initializer.Initializer;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.Tracker;
import ai.djl.translate.Batchifier;

/**
 * The smallest model whose updates can be worked by hand: {@code pred = w * x + b}, one input, one
 * output, both parameters starting at 0, trained with DJL's L2 loss {@code 0.5 * mean((pred -
 * y)^2)}. For a batch of one sample the gradients are {@code dL/dw = (pred - y) * x} and {@code
 * dL/db = pred - y}; plain SGD with {@link #LR} then moves each parameter by {@code -LR * g}.
 */
final class OneUnit implements AutoCloseable {

    static final float LR = 0.1f;

    private final Model model;
    private final Linear linear;
    private final NDManager data;

    OneUnit(String engine) {
        model = Model.newInstance("one-unit", Device.cpu(), engine);
        linear = Linear.builder().setUnits(1).build();
        model.setBlock(linear);
        data = NDManager.newBaseManager(Device.cpu(), engine);
    }

    static Optimizer sgd() {
        return Optimizer.sgd().setLearningRateTracker(Tracker.fixed(LR)).build();
    }

    Model model() {
        return model;
    }

    /** A trainer with both parameters initialized to 0. */
    Trainer newTrainer(DefaultTrainingConfig config) {
        config.optInitializer(Initializer.ZEROS, p -> true);
        Trainer trainer = model.newTrainer(config);
        trainer.initialize(new Shape(1, 1));
        return trainer;
    }

    /** A batch of {@code n} identical samples {@code (x, y)}, owned by {@code manager}. */
    Batch batch(NDManager manager, int n, float x, float y) {
        NDArray features = manager.full(new Shape(n, 1), x);
        NDArray labels = manager.full(new Shape(n, 1), y);
        return new Batch(
                manager,
                new NDList(features),
                new NDList(labels),
                n,
                Batchifier.STACK,
                Batchifier.STACK,
                0,
                1);
    }

    Parameter weightParameter() {
        return linear.getParameters().get("weight");
    }

    Parameter biasParameter() {
        return linear.getParameters().get("bias");
    }

    float weight() {
        return weightParameter().getArray().toFloatArray()[0];
    }

    float bias() {
        return biasParameter().getArray().toFloatArray()[0];
    }

    @Override
    public void close() {
        data.close();
        model.close();
    }
}
