package io.gradguard.it;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.EasyTrain;
import ai.djl.training.Trainer;
import ai.djl.training.dataset.Batch;
import ai.djl.translate.Batchifier;

/** Guarded training steps on seeded random normal inputs and labels of a given data type. */
final class RandomSteps {

    private RandomSteps() {}

    /**
     * Runs {@code trainBatch} and {@code Trainer.step()} on one random batch, its arrays in a
     * sub-manager closed afterwards.
     */
    static void step(Trainer trainer, int seed, Shape input, Shape label, DataType type) {
        try (NDManager manager = trainer.getManager().newSubManager()) {
            manager.getEngine().setRandomSeed(seed);
            NDArray x = manager.randomNormal(input).toType(type, false);
            NDArray y = manager.randomNormal(label).toType(type, false);
            Batch batch =
                    new Batch(
                            manager,
                            new NDList(x),
                            new NDList(y),
                            (int) input.get(0),
                            Batchifier.STACK,
                            Batchifier.STACK,
                            0,
                            1);
            EasyTrain.trainBatch(trainer, batch);
            trainer.step();
        }
    }
}
