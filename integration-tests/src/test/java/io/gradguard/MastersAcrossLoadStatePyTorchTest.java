package io.gradguard;

import static org.testng.Assert.assertEquals;
import static org.testng.Assert.assertTrue;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.Parameter;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.core.Linear;
import ai.djl.training.Trainer;
import ai.djl.training.dataset.Batch;
import ai.djl.training.loss.Loss;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.translate.Batchifier;
import ai.djl.util.Pair;
import io.gradguard.clip.ClipStrategy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import org.testng.annotations.Test;

/**
 * Resuming a float32 checkpoint in float16: {@code loadState} before the trainer exists, then
 * {@link MixedPrecision#toFloat16}. The saved optimizer state (from a float32 run, so without
 * masters) is put into the optimizer at the first batch, after the conversion; the masters that
 * {@code toFloat16} took from the exact float32 values must survive it, bit for bit. PyTorch, a
 * 3-4-1 MLP, AdamW.
 */
public class MastersAcrossLoadStatePyTorchTest {

    private static final String ENGINE = "PyTorch";

    private static Model model() {
        Model model = Model.newInstance("masters-resume", Device.cpu(), ENGINE);
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

    private static void trainBatch(Trainer trainer, NDManager manager, DataTypeOf type) {
        NDArray x = manager.arange(12f).reshape(4, 3).div(10f).toType(type.type, false);
        NDArray y = manager.ones(new Shape(4, 1)).toType(type.type, false);
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
    }

    private enum DataTypeOf {
        F32(ai.djl.ndarray.types.DataType.FLOAT32),
        F16(ai.djl.ndarray.types.DataType.FLOAT16);

        final ai.djl.ndarray.types.DataType type;

        DataTypeOf(ai.djl.ndarray.types.DataType type) {
            this.type = type;
        }
    }

    @Test
    public void mastersTakenByToFloat16SurviveStateLoadedBeforeTheTrainer() throws Exception {
        Path dir = Files.createTempDirectory("gradguard-masters-resume");
        ClippingTrainingListener first = guard();
        try (Model model = model();
                Trainer trainer =
                        model.newTrainer(
                                GradGuard.trainingConfig(
                                        Loss.l2Loss(), Optimizer.adamW().build(), first));
                NDManager manager = trainer.getManager().newSubManager()) {
            trainer.initialize(new Shape(4, 3));
            for (int i = 0; i < 2; i++) {
                trainBatch(trainer, manager, DataTypeOf.F32);
                trainer.step();
            }
            model.save(dir, "run");
            first.saveState(dir, "run");
        }
        ClippingTrainingListener guard = guard();
        guard.loadState(dir, "run");
        try (Model model = model()) {
            model.load(dir, "run");
            try (Trainer trainer =
                            model.newTrainer(
                                    GradGuard.trainingConfig(
                                            Loss.l2Loss(), Optimizer.adamW().build(), guard));
                    NDManager manager = trainer.getManager().newSubManager()) {
                trainer.initialize(new Shape(4, 3));
                Map<String, float[]> float32 = new LinkedHashMap<>();
                for (Pair<String, Parameter> p : model.getBlock().getParameters()) {
                    float32.put(p.getValue().getId(), p.getValue().getArray().toFloatArray());
                }
                assertEquals(MixedPrecision.toFloat16(trainer), 4);
                trainBatch(trainer, manager, DataTypeOf.F16); // the saved state is applied here
                GuardedOptimizer optimizer = guard.gate().optimizer();
                for (Map.Entry<String, float[]> e : float32.entrySet()) {
                    Optional<NDArray> master = optimizer.getMasterWeight(e.getKey(), Device.cpu());
                    assertTrue(master.isPresent(), "no master for " + e.getKey());
                    assertEquals(master.get().toFloatArray(), e.getValue(), e.getKey());
                }
                trainer.step();
            }
        }
    }
}
