package io.gradguard;

import static org.testng.Assert.assertTrue;
import static org.testng.Assert.expectThrows;

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
import ai.djl.training.Trainer;
import ai.djl.training.dataset.Batch;
import ai.djl.training.loss.Loss;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.translate.Batchifier;
import io.gradguard.clip.ClipStrategy;
import java.nio.file.Files;
import java.nio.file.Path;
import org.testng.annotations.Test;

/**
 * In a float16 run each weight is its master rounded to float16, so a master that does not round to
 * the loaded weight means that the model's weights and the optimizer state come from different
 * saves: here {@code model.load(dir, "run")} picks the later epoch's params file while the guard
 * files are the earlier epoch's. Loading must refuse that pair instead of letting the first update
 * silently put the earlier epoch's weights back. PyTorch, a 3-4-1 MLP in float16, AdamW.
 */
public class MastersOfAnotherSavePyTorchTest {

    private static final String ENGINE = "PyTorch";

    private static Model model() {
        Model model = Model.newInstance("masters-other-save", Device.cpu(), ENGINE);
        model.setBlock(
                new SequentialBlock()
                        .add(Linear.builder().setUnits(4).build())
                        .add(Activation::relu)
                        .add(Linear.builder().setUnits(1).build()));
        return model;
    }

    private static ClippingTrainingListener guard() {
        return ClippingTrainingListener.builder().setStrategy(ClipStrategy.globalNorm(1f)).build();
    }

    private static void train(Trainer trainer, ClippingTrainingListener guard, int steps) {
        try (NDManager manager = trainer.getManager().newSubManager()) {
            for (int i = 0; i < steps; i++) {
                NDArray x = manager.arange(12f).reshape(4, 3).div(10f + i);
                NDArray y = manager.ones(new Shape(4, 1));
                Batch batch =
                        new Batch(
                                manager,
                                new NDList(x.toType(DataType.FLOAT16, false)),
                                new NDList(y.toType(DataType.FLOAT16, false)),
                                4,
                                Batchifier.STACK,
                                Batchifier.STACK,
                                0,
                                1);
                GuardedTraining.trainBatch(trainer, batch);
                GuardedTraining.step(trainer, guard);
            }
        }
    }

    @Test
    public void optimizerStateOfAnEarlierEpochThanTheWeightsIsRefused() throws Exception {
        Path dir = Files.createTempDirectory("gradguard-masters-other-save");
        ClippingTrainingListener first = guard();
        try (Model model = model();
                Trainer trainer =
                        model.newTrainer(
                                GradGuard.trainingConfig(
                                        Loss.l2Loss(), Optimizer.adamW().build(), first))) {
            trainer.initialize(new Shape(4, 3));
            MixedPrecision.toFloat16(trainer);
            train(trainer, first, 2);
            model.setProperty("Epoch", "0");
            model.save(dir, "run");
            first.saveState(dir, "run");
            train(trainer, first, 2);
            model.setProperty("Epoch", "1");
            model.save(dir, "run"); // run-0001.params, without saving the guard state again
        }
        ClippingTrainingListener guard = guard();
        try (Model model = model()) {
            model.load(dir, "run"); // the latest epoch: 1
            try (Trainer trainer =
                    model.newTrainer(
                            GradGuard.trainingConfig(
                                    Loss.l2Loss(), Optimizer.adamW().build(), guard))) {
                trainer.initialize(new Shape(4, 3));
                InvalidCheckpointException e =
                        expectThrows(
                                InvalidCheckpointException.class,
                                () -> guard.loadState(dir, "run"));
                assertTrue(
                        e.getProblem().contains("does not round to the parameter's value"),
                        e.getProblem());
            }
        }
    }
}
