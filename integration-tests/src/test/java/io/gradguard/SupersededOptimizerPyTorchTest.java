package io.gradguard;

import static org.testng.Assert.assertNotEquals;
import static org.testng.Assert.assertSame;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.core.Linear;
import ai.djl.training.DefaultTrainingConfig;
import ai.djl.training.Trainer;
import ai.djl.training.TrainingConfig;
import ai.djl.training.dataset.Batch;
import ai.djl.training.loss.Loss;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.translate.Batchifier;
import io.gradguard.clip.ClipStrategy;
import org.testng.annotations.Test;

/**
 * A listener built into two training configurations follows the optimizer of the trainer it guards,
 * so that checkpoints and {@link MixedPrecision#toFloat16} reach the optimizer that trains: the one
 * paired with the trainer's loss by {@link GradGuard#trainingConfig}, and, for a configuration
 * wired by hand, the one that updates. PyTorch, float32, a 3-1 linear model.
 */
public class SupersededOptimizerPyTorchTest {

    private static final String ENGINE = "PyTorch";

    private static void trainBatch(Trainer trainer) {
        try (NDManager manager = trainer.getManager().newSubManager()) {
            NDArray x = manager.arange(12f).reshape(4, 3).div(10f);
            NDArray y = manager.ones(new Shape(4, 1));
            Batch batch =
                    new Batch(
                            manager,
                            new NDList(x),
                            new NDList(y),
                            4,
                            Batchifier.STACK,
                            Batchifier.STACK,
                            0,
                            1);
            GuardedTraining.trainBatch(trainer, batch);
            trainer.step();
        }
    }

    private static void trainsThroughItsOwnOptimizer(
            ClippingTrainingListener guard, TrainingConfig first, boolean pairedAtBegin) {
        try (Model model = Model.newInstance("superseded", Device.cpu(), ENGINE)) {
            model.setBlock(new SequentialBlock().add(Linear.builder().setUnits(1).build()));
            try (Trainer trainer = model.newTrainer(first)) {
                trainer.initialize(new Shape(4, 3));
                if (pairedAtBegin) {
                    assertSame(guard.gate().optimizer(), first.getOptimizer());
                }
                Parameter weight = model.getBlock().getParameters().valueAt(0);
                float[] before = weight.getArray().toFloatArray();
                trainBatch(trainer);
                assertSame(guard.gate().optimizer(), first.getOptimizer());
                assertNotEquals(weight.getArray().toFloatArray(), before, "the step applied");
            }
        }
    }

    @Test
    public void theTrainerOfAnEarlierConfigIsFollowedFromItsCreation() {
        ClippingTrainingListener guard =
                ClippingTrainingListener.builder().setStrategy(ClipStrategy.globalNorm(1f)).build();
        TrainingConfig first =
                GradGuard.trainingConfig(Loss.l2Loss(), Optimizer.adamW().build(), guard);
        TrainingConfig second =
                GradGuard.trainingConfig(Loss.l2Loss(), Optimizer.adamW().build(), guard);
        assertSame(guard.gate().optimizer(), second.getOptimizer(), "the last one built, so far");
        trainsThroughItsOwnOptimizer(guard, first, true);
    }

    @Test
    public void aHandWiredConfigIsFollowedFromItsFirstUpdate() {
        ClippingTrainingListener guard =
                ClippingTrainingListener.builder().setStrategy(ClipStrategy.globalNorm(1f)).build();
        TrainingConfig first = handWired(guard);
        TrainingConfig second = handWired(guard);
        assertSame(guard.gate().optimizer(), second.getOptimizer(), "the last one built, so far");
        trainsThroughItsOwnOptimizer(guard, first, false);
    }

    private static TrainingConfig handWired(ClippingTrainingListener guard) {
        return new DefaultTrainingConfig(new ScaledLoss(Loss.l2Loss(), guard.getLossScaler()))
                .optOptimizer(new GuardedOptimizer(Optimizer.adamW().build(), guard))
                .addTrainingListeners(guard);
    }
}
