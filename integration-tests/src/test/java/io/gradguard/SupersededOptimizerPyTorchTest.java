package io.gradguard;

import static org.testng.Assert.assertEquals;
import static org.testng.Assert.assertTrue;
import static org.testng.Assert.expectThrows;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.core.Linear;
import ai.djl.training.Trainer;
import ai.djl.training.TrainingConfig;
import org.testng.annotations.Test;

/**
 * A listener given to a second {@link GuardedOptimizer} (a training config built twice) keeps only
 * the later one: checkpoints and {@link MixedPrecision#toFloat16} reach that one. A trainer that
 * still updates through the earlier one would train while its optimizer state is saved empty and
 * its masters are never seeded; it is refused at its first update instead, with the weights
 * untouched. PyTorch, float32, a 3-1 linear model.
 */
public class SupersededOptimizerPyTorchTest {

    private static final String ENGINE = "PyTorch";

    private static void trainBatch(Trainer trainer) {
        try (NDManager manager = trainer.getManager().newSubManager()) {
            GuardedTraining.trainBatch(trainer, SmallMlp.batch(manager, 0, DataType.FLOAT32));
            trainer.step();
        }
    }

    @Test
    public void trainerOfAnEarlierConfigIsRefusedAndItsWeightsKept() {
        ClippingTrainingListener guard = SmallMlp.guard();
        TrainingConfig first = SmallMlp.adamW(guard);
        SmallMlp.adamW(guard); // a second config, whose GuardedOptimizer supersedes the first
        try (Model model = Model.newInstance("superseded", Device.cpu(), ENGINE)) {
            model.setBlock(new SequentialBlock().add(Linear.builder().setUnits(1).build()));
            try (Trainer trainer = model.newTrainer(first)) {
                trainer.initialize(new Shape(4, 3));
                Parameter weight = model.getBlock().getParameters().valueAt(0);
                float[] before = weight.getArray().toFloatArray();
                IllegalStateException e =
                        expectThrows(IllegalStateException.class, () -> trainBatch(trainer));
                assertTrue(e.getMessage().contains("another GuardedOptimizer"), e.getMessage());
                float[] after = weight.getArray().toFloatArray();
                assertEquals(after, before, "the refused step must leave the weights as they were");
            }
        }
    }
}
