package io.gradguard.it;

import static org.testng.Assert.assertEquals;
import static org.testng.Assert.assertNotEquals;
import static org.testng.Assert.assertSame;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.core.Linear;
import ai.djl.training.DefaultTrainingConfig;
import ai.djl.training.Trainer;
import ai.djl.training.dataset.Batch;
import ai.djl.training.loss.Loss;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.Tracker;
import ai.djl.util.Pair;
import io.gradguard.ClippingTrainingListener;
import io.gradguard.GradGuard;
import io.gradguard.GuardedOptimizer;
import io.gradguard.GuardedTraining;
import io.gradguard.MixedPrecision;
import io.gradguard.SmallMlp;
import io.gradguard.clip.ClipStrategy;
import java.util.IdentityHashMap;
import java.util.Map;
import org.testng.annotations.Test;

/**
 * {@link MixedPrecision#toFloat16} with a block used twice (tied weights) and a frozen head: each
 * distinct parameter is converted once, frozen ones too, and every master equals the float32 value
 * bit for bit; the frozen head's master is left alone while it is frozen, and after it is unfrozen
 * its first update starts from that same master (not from one rebuilt from its float16 rounding).
 * PyTorch, SGD.
 */
public class Float16TiedAndFrozenPyTorchTest {

    private static final String ENGINE = "PyTorch";

    @Test
    public void tiedAndFrozenParametersKeepExactMastersUntilTheyTrain() {
        ClippingTrainingListener guard =
                ClippingTrainingListener.builder()
                        .setStrategy(ClipStrategy.globalNorm(10f))
                        .build();
        Block tied = Linear.builder().setUnits(3).build();
        Block head = Linear.builder().setUnits(1).build();
        try (Model model = Model.newInstance("tied-frozen", Device.cpu(), ENGINE)) {
            model.setBlock(
                    new SequentialBlock().add(tied).add(Activation::relu).add(tied).add(head));
            Optimizer sgd = Optimizer.sgd().setLearningRateTracker(Tracker.fixed(0.1f)).build();
            DefaultTrainingConfig config = GradGuard.trainingConfig(Loss.l2Loss(), sgd, guard);
            GuardedOptimizer optimizer = (GuardedOptimizer) config.getOptimizer();
            try (Trainer trainer = model.newTrainer(config);
                    NDManager manager = trainer.getManager().newSubManager()) {
                trainer.initialize(new Shape(4, 3));
                head.freezeParameters(true);
                Map<Parameter, float[]> float32 = new IdentityHashMap<>();
                for (Pair<String, Parameter> p : model.getBlock().getParameters()) {
                    float32.put(p.getValue(), p.getValue().getArray().toFloatArray());
                }
                assertEquals(float32.size(), 4, "distinct parameters");
                assertEquals(MixedPrecision.toFloat16(trainer), 4, "each converted once");
                Map<Parameter, NDArray> masters = new IdentityHashMap<>();
                for (Map.Entry<Parameter, float[]> e : float32.entrySet()) {
                    Parameter p = e.getKey();
                    assertEquals(p.getArray().getDataType(), DataType.FLOAT16, p.getName());
                    NDArray master = optimizer.getMasterWeight(p.getId(), Device.cpu()).get();
                    assertEquals(master.toFloatArray(), e.getValue(), p.getName());
                    masters.put(p, master);
                }
                for (int i = 0; i < 3; i++) {
                    step(trainer, guard, manager, i);
                }
                for (Parameter p : head.getParameters().values()) {
                    NDArray master = optimizer.getMasterWeight(p.getId(), Device.cpu()).get();
                    assertSame(master, masters.get(p), "frozen head's master kept");
                    assertEquals(master.toFloatArray(), float32.get(p), "untouched while frozen");
                }
                head.freezeParameters(false);
                step(trainer, guard, manager, 3);
                for (Parameter p : head.getParameters().values()) {
                    NDArray master = optimizer.getMasterWeight(p.getId(), Device.cpu()).get();
                    assertSame(master, masters.get(p), "the seeded master is the one updated");
                    assertNotEquals(master.toFloatArray(), float32.get(p), "trained once");
                }
            }
        }
    }

    private static void step(
            Trainer trainer, ClippingTrainingListener guard, NDManager manager, int i) {
        NDArray x = SmallMlp.inputs(manager, i, DataType.FLOAT16);
        NDArray y = SmallMlp.labels(manager, DataType.FLOAT16);
        Batch batch = SmallMlp.batch(manager, x, y, i, 4);
        GuardedTraining.trainBatch(trainer, batch);
        GuardedTraining.step(trainer, guard);
    }
}
