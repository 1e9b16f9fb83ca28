package io.gradguard;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.core.Linear;
import ai.djl.training.DefaultTrainingConfig;
import ai.djl.training.Trainer;
import ai.djl.training.dataset.Batch;
import ai.djl.training.loss.Loss;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.translate.Batchifier;
import io.gradguard.clip.ClipStrategy;

/**
 * The small fixture many end-to-end tests share: a 3-4-1 MLP (Linear(4), relu, Linear(1)) on the
 * CPU, a guard clipping to global norm 1, and batches of four rows with inputs {@code
 * arange(12).reshape(4, 3) / (10 + i)} at step {@code i} and labels {@code ones(4, 1)}.
 */
public final class SmallMlp {

    private SmallMlp() {}

    /**
     * Returns a new CPU model named {@code name} on {@code engine} whose block is a 3-4-1 MLP:
     * Linear(4), relu, Linear(1), not yet initialized.
     *
     * @param name the model's name
     * @param engine the engine's name, for example "PyTorch"
     * @return the model, to be closed by the caller
     */
    public static Model model(String name, String engine) {
        Model model = Model.newInstance(name, Device.cpu(), engine);
        model.setBlock(
                new SequentialBlock()
                        .add(Linear.builder().setUnits(4).build())
                        .add(Activation::relu)
                        .add(Linear.builder().setUnits(1).build()));
        return model;
    }

    /**
     * Returns a new guard clipping to global norm 1, with the builder's defaults otherwise.
     *
     * @return the guard
     */
    public static ClippingTrainingListener guard() {
        return ClippingTrainingListener.builder().setStrategy(ClipStrategy.globalNorm(1f)).build();
    }

    /**
     * Returns a training config with an L2 loss and DJL's default AdamW, guarded by {@code guard}.
     *
     * @param guard the guard
     * @return the config from {@link GradGuard#trainingConfig}
     */
    public static DefaultTrainingConfig adamW(ClippingTrainingListener guard) {
        return GradGuard.trainingConfig(Loss.l2Loss(), Optimizer.adamW().build(), guard);
    }

    /**
     * Returns step {@code i}'s inputs: {@code arange(12).reshape(4, 3) / (10 + i)}, computed in
     * float32 and then converted to {@code dataType}.
     *
     * @param manager the manager that owns the array
     * @param i the step
     * @param dataType the inputs' data type
     * @return a (4, 3) array
     */
    public static NDArray inputs(NDManager manager, int i, DataType dataType) {
        return manager.arange(12f).reshape(4, 3).div(10f + i).toType(dataType, false);
    }

    /**
     * Returns the labels of every step: {@code ones(4, 1)} in {@code dataType}.
     *
     * @param manager the manager that owns the array
     * @param dataType the labels' data type
     * @return a (4, 1) array
     */
    public static NDArray labels(NDManager manager, DataType dataType) {
        return manager.ones(new Shape(4, 1)).toType(dataType, false);
    }

    /**
     * Returns a stacked batch of four rows holding {@code x} and {@code y}.
     *
     * @param manager the batch's manager
     * @param x the inputs
     * @param y the labels
     * @param progress the batch's index in its epoch
     * @param progressTotal the number of batches in the epoch
     * @return the batch
     */
    public static Batch batch(
            NDManager manager, NDArray x, NDArray y, long progress, long progressTotal) {
        return new Batch(
                manager,
                new NDList(x),
                new NDList(y),
                4,
                Batchifier.STACK,
                Batchifier.STACK,
                progress,
                progressTotal);
    }

    /**
     * Returns step {@code i}'s batch in {@code dataType}, as batch 0 of an epoch of 1.
     *
     * @param manager the batch's manager
     * @param i the step
     * @param dataType the data type of inputs and labels
     * @return the batch
     */
    public static Batch batch(NDManager manager, int i, DataType dataType) {
        return batch(manager, inputs(manager, i, dataType), labels(manager, dataType), 0, 1);
    }

    /**
     * Trains steps {@code 0 .. steps - 1}, each on {@link #batch(NDManager, int, DataType)}, in a
     * sub-manager closed at the end. Each step goes through {@link GuardedTraining#step} with
     * {@code guard}, or through plain {@code trainer.step()} when {@code guard} is null.
     *
     * @param trainer the trainer
     * @param guard the trainer's guard, or null for plain {@code trainer.step()}
     * @param steps the number of steps
     * @param dataType the batches' data type
     */
    public static void train(
            Trainer trainer, ClippingTrainingListener guard, int steps, DataType dataType) {
        try (NDManager manager = trainer.getManager().newSubManager()) {
            for (int i = 0; i < steps; i++) {
                GuardedTraining.trainBatch(trainer, batch(manager, i, dataType));
                if (guard == null) {
                    trainer.step();
                } else {
                    GuardedTraining.step(trainer, guard);
                }
            }
        }
    }
}
