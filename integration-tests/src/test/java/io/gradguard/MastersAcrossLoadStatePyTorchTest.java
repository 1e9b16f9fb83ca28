package io.gradguard;

import static org.testng.Assert.assertEquals;
import static org.testng.Assert.assertTrue;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.Trainer;
import ai.djl.util.Pair;
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

    @Test
    public void mastersTakenByToFloat16SurviveStateLoadedBeforeTheTrainer() throws Exception {
        Path dir = Files.createTempDirectory("gradguard-masters-resume");
        ClippingTrainingListener first = SmallMlp.guard();
        try (Model model = SmallMlp.model("masters-resume", ENGINE);
                Trainer trainer = model.newTrainer(SmallMlp.adamW(first));
                NDManager manager = trainer.getManager().newSubManager()) {
            trainer.initialize(new Shape(4, 3));
            for (int i = 0; i < 2; i++) {
                GuardedTraining.trainBatch(trainer, SmallMlp.batch(manager, 0, DataType.FLOAT32));
                trainer.step();
            }
            model.save(dir, "run");
            first.saveState(dir, "run");
        }
        ClippingTrainingListener guard = SmallMlp.guard();
        guard.loadState(dir, "run");
        try (Model model = SmallMlp.model("masters-resume", ENGINE)) {
            model.load(dir, "run");
            try (Trainer trainer = model.newTrainer(SmallMlp.adamW(guard));
                    NDManager manager = trainer.getManager().newSubManager()) {
                trainer.initialize(new Shape(4, 3));
                Map<String, float[]> float32 = new LinkedHashMap<>();
                for (Pair<String, Parameter> p : model.getBlock().getParameters()) {
                    float32.put(p.getValue().getId(), p.getValue().getArray().toFloatArray());
                }
                assertEquals(MixedPrecision.toFloat16(trainer), 4);
                GuardedTraining.trainBatch(
                        trainer,
                        SmallMlp.batch(
                                manager, 0, DataType.FLOAT16)); // the saved state is applied here
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
