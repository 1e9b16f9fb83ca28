package io.gradguard.examples.finetune;

import ai.djl.Device;
import ai.djl.MalformedModelException;
import ai.djl.Model;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.core.Linear;
import ai.djl.training.DefaultTrainingConfig;
import ai.djl.training.EasyTrain;
import ai.djl.training.Trainer;
import ai.djl.training.dataset.Batch;
import ai.djl.training.loss.Loss;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.Tracker;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The "pretrained" backbone: a DJL multilayer perceptron ({@value FineTuneData#FEATURES} → 32 → 32
 * → 16, ReLU after each layer) trained in float32 on the pretext task and saved with {@code
 * model.save} at the first run, as a team would ship a backbone trained earlier. Its weights come
 * from a seeded initializer and seeded batches, so every first run on an engine writes the same
 * backbone.
 */
final class Backbone {

    /** The name of the saved model: {@code backbone-0000.params}. */
    static final String NAME = "backbone";

    static final int PRETRAIN_STEPS = 300;
    private static final int PRETRAIN_BATCH = 32;

    private Backbone() {}

    /** Returns a new, uninitialized backbone block. */
    static SequentialBlock block() {
        return new SequentialBlock()
                .add(Linear.builder().setUnits(32).build())
                .add(Activation::relu)
                .add(Linear.builder().setUnits(32).build())
                .add(Activation::relu)
                .add(Linear.builder().setUnits(16).build())
                .add(Activation::relu);
    }

    /** Returns the backbone's top layer, the last one unfrozen before the rest. */
    static Block top(SequentialBlock backbone) {
        List<Block> layers = backbone.getChildren().values();
        return layers.get(layers.size() - 2);
    }

    /**
     * Trains and saves the pretrained backbone for an engine into {@code dir}, unless {@code
     * backbone-0000.params} is there already.
     *
     * @param engine the DJL engine name
     * @param dir the directory that holds (or will hold) {@code backbone-0000.params}
     * @param data the data, whose pretext task the backbone learns
     * @param seed the seed of the initial weights
     * @return whether it was trained now (false: it was there)
     * @throws IOException if the model cannot be saved
     * @throws MalformedModelException never for a model this method writes
     */
    static boolean ensurePretrained(String engine, Path dir, FineTuneData data, long seed)
            throws IOException, MalformedModelException {
        if (Files.exists(dir.resolve(NAME + "-0000.params"))) {
            return false;
        }
        Files.createDirectories(dir);
        SequentialBlock backbone = block();
        Linear pretextHead = Linear.builder().setUnits(FineTuneData.PRETEXT_OUTPUTS).build();
        try (Model model = Model.newInstance("pretrain", Device.cpu(), engine)) {
            SequentialBlock whole = new SequentialBlock().add(backbone).add(pretextHead);
            whole.setInitializer(new SeededInitializer(seed), Parameter.Type.WEIGHT);
            model.setBlock(whole);
            Optimizer adam = Optimizer.adam().optLearningRateTracker(Tracker.fixed(3e-3f)).build();
            try (Trainer trainer =
                    model.newTrainer(new DefaultTrainingConfig(Loss.l2Loss()).optOptimizer(adam))) {
                trainer.initialize(new Shape(PRETRAIN_BATCH, FineTuneData.FEATURES));
                for (int step = 0; step < PRETRAIN_STEPS; step++) {
                    try (NDManager scope = trainer.getManager().newSubManager()) {
                        Batch batch =
                                data.batch(scope, step, PRETRAIN_BATCH, true, DataType.FLOAT32);
                        EasyTrain.trainBatch(trainer, batch);
                        trainer.step();
                    }
                }
            }
            model.setBlock(backbone);
            model.save(dir, NAME);
        }
        return true;
    }
}
