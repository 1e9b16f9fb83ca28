package io.gradguard;

import static org.testng.Assert.assertTrue;
import static org.testng.Assert.expectThrows;

import ai.djl.Model;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.Trainer;
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

    @Test
    public void optimizerStateOfAnEarlierEpochThanTheWeightsIsRefused() throws Exception {
        Path dir = Files.createTempDirectory("gradguard-masters-other-save");
        ClippingTrainingListener first = SmallMlp.guard();
        try (Model model = SmallMlp.model("masters-other-save", ENGINE);
                Trainer trainer = model.newTrainer(SmallMlp.adamW(first))) {
            trainer.initialize(new Shape(4, 3));
            MixedPrecision.toFloat16(trainer);
            SmallMlp.train(trainer, first, 2, DataType.FLOAT16);
            model.setProperty("Epoch", "0");
            model.save(dir, "run");
            first.saveState(dir, "run");
            SmallMlp.train(trainer, first, 2, DataType.FLOAT16);
            model.setProperty("Epoch", "1");
            model.save(dir, "run"); // run-0001.params, without saving the guard state again
        }
        ClippingTrainingListener guard = SmallMlp.guard();
        try (Model model = SmallMlp.model("masters-other-save", ENGINE)) {
            model.load(dir, "run"); // the latest epoch: 1
            try (Trainer trainer = model.newTrainer(SmallMlp.adamW(guard))) {
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
