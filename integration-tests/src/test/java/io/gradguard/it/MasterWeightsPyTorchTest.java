package io.gradguard.it;

import static org.testng.Assert.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.Parameter;
import ai.djl.training.DefaultTrainingConfig;
import ai.djl.training.EasyTrain;
import ai.djl.training.Trainer;
import ai.djl.training.dataset.Batch;
import ai.djl.training.loss.Loss;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.Tracker;
import io.gradguard.ClippingTrainingListener;
import io.gradguard.GuardedOptimizer;
import io.gradguard.ScaledLoss;
import io.gradguard.clip.ClipStrategy;
import io.gradguard.scale.LossScaler;
import java.util.List;
import org.testng.annotations.Test;

/**
 * float16 weights are written from float32 masters at every update, so an in-place edit of a
 * float16 weight is overwritten unless the masters are resynchronized, as documented on {@link
 * GuardedOptimizer#resyncMasterWeights()}. With SGD (lr 0.01) and a global-norm clip of 1, one
 * update moves every weight by at most 0.01.
 */
public class MasterWeightsPyTorchTest {

    private static float firstWeightAfterEdit(boolean resync) {
        try (TinyRegression problem = new TinyRegression("PyTorch", 9, DataType.FLOAT16)) {
            LossScaler scaler = LossScaler.fixed(256f);
            ClippingTrainingListener guard =
                    ClippingTrainingListener.builder()
                            .setStrategy(ClipStrategy.globalNorm(1f))
                            .optLossScaler(scaler)
                            .build();
            GuardedOptimizer optimizer =
                    new GuardedOptimizer(
                            Optimizer.sgd().setLearningRateTracker(Tracker.fixed(0.01f)).build(),
                            guard);
            DefaultTrainingConfig config =
                    new DefaultTrainingConfig(new ScaledLoss(Loss.l2Loss(), scaler))
                            .optOptimizer(optimizer)
                            .addTrainingListeners(guard);
            try (Trainer trainer = problem.newTrainer(config, 9);
                    NDManager manager = trainer.getManager().newSubManager()) {
                List<Batch> batches = problem.explicitBatches(manager, TinyRegression.BATCH, 1);
                for (int i = 0; i < 2; i++) {
                    EasyTrain.trainBatch(trainer, batches.get(i));
                    trainer.step();
                }
                Parameter weight = problem.model().getBlock().getParameters().get(0).getValue();
                NDArray array = weight.getArray();
                array.set(new NDIndex("..."), 5f); // an in-place edit outside the optimizer
                if (resync) {
                    optimizer.resyncMasterWeights();
                }
                EasyTrain.trainBatch(trainer, batches.get(2));
                trainer.step();
                return array.toType(DataType.FLOAT32, false).toFloatArray()[0];
            }
        }
    }

    @Test
    public void anEditKeptAfterAResyncAndOverwrittenWithout() {
        float kept = firstWeightAfterEdit(true);
        assertTrue(Math.abs(kept - 5f) <= 0.0101f, "resynchronized: " + kept);
        float lost = firstWeightAfterEdit(false);
        assertTrue(Math.abs(lost - 5f) > 1f, "without resync the master wins: " + lost);
    }
}
