package io.gradguard;

import static org.testng.Assert.assertFalse;
import static org.testng.Assert.assertTrue;
import static org.testng.Assert.expectThrows;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.core.Linear;
import ai.djl.training.Trainer;
import java.nio.file.Files;
import java.nio.file.Path;
import org.testng.annotations.DataProvider;
import org.testng.annotations.Test;

/**
 * {@code saveState} after the trainer was closed (a save placed after a try-with-resources block)
 * cannot name the optimizer's state by parameter: it is refused with the fix, and writes nothing.
 * AdamW, a 3-1 linear model, on both engines.
 */
public class SaveAfterCloseTest {

    @DataProvider
    public Object[][] engines() {
        return new Object[][] {{"PyTorch"}, {"MXNet"}};
    }

    @Test(dataProvider = "engines")
    public void savingAfterTheTrainerClosedSaysToSaveBefore(String engine) throws Exception {
        Path dir = Files.createTempDirectory("gradguard-save-after-close");
        ClippingTrainingListener guard = SmallMlp.guard();
        try (Model model = Model.newInstance("save-after-close", Device.cpu(), engine)) {
            model.setBlock(new SequentialBlock().add(Linear.builder().setUnits(1).build()));
            try (Trainer trainer = model.newTrainer(SmallMlp.adamW(guard));
                    NDManager manager = trainer.getManager().newSubManager()) {
                trainer.initialize(new Shape(4, 3));
                GuardedTraining.trainBatch(trainer, SmallMlp.batch(manager, 0, DataType.FLOAT32));
                trainer.step();
            }
            IllegalStateException e =
                    expectThrows(IllegalStateException.class, () -> guard.saveState(dir, "run"));
            assertTrue(e.getMessage().contains("before the trainer is closed"), e.getMessage());
            assertFalse(Files.exists(dir.resolve("run-gradguard.properties")), "nothing written");
        }
    }
}
