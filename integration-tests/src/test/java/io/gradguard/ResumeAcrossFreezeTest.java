package io.gradguard;

import static org.testng.Assert.assertEquals;

import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.nn.SequentialBlock;
import ai.djl.training.Trainer;
import ai.djl.util.Pair;
import io.gradguard.clip.ClipStrategy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.testng.annotations.DataProvider;
import org.testng.annotations.Test;

/**
 * Gradual unfreezing across a checkpoint: the first layer trains at steps 0-1, is frozen at steps
 * 2-4 (the checkpoint is taken after step 3, while it is frozen) and trains again from step 5. Its
 * Adam moments and update count are saved while it is frozen, and the resumed run ends bit for bit
 * where the uninterrupted one does. AdamW, a 3-4-1 MLP, float32, on both engines.
 */
public class ResumeAcrossFreezeTest {

    private static final int SAVE_AFTER = 4;
    private static final int STEPS = 9;

    @DataProvider
    public Object[][] engines() {
        return new Object[][] {{"PyTorch"}, {"MXNet"}};
    }

    private static boolean frozen(int step) {
        return step >= 2 && step <= 4;
    }

    private static ClippingTrainingListener guard() {
        return ClippingTrainingListener.builder()
                .setStrategy(ClipStrategy.globalNorm(0.5f))
                .build();
    }

    private static void train(
            Trainer trainer, ClippingTrainingListener guard, Model model, int from, int to) {
        Block first = ((SequentialBlock) model.getBlock()).getChildren().valueAt(0);
        try (NDManager manager = trainer.getManager().newSubManager()) {
            for (int i = from; i < to; i++) {
                first.freezeParameters(frozen(i));
                NDArray x = manager.arange(12f).reshape(4, 3).div(10f + i).sub(0.3f);
                NDArray y = manager.arange(4f).reshape(4, 1).div(3f + i);
                GuardedTraining.trainBatch(trainer, SmallMlp.batch(manager, x, y, i, STEPS));
                GuardedTraining.step(trainer, guard);
            }
        }
    }

    private static List<float[]> weights(Model model) {
        List<float[]> values = new ArrayList<>();
        for (Pair<String, Parameter> p : model.getBlock().getParameters()) {
            values.add(p.getValue().getArray().toFloatArray());
        }
        return values;
    }

    @Test(dataProvider = "engines")
    public void resumedWhileFrozenEndsBitForBitWithTheUninterruptedRun(String engine)
            throws Exception {
        Path dir = Files.createTempDirectory("gradguard-resume-freeze");
        List<float[]> uninterrupted;
        ClippingTrainingListener first = guard();
        try (Model model = SmallMlp.model("resume-freeze", engine);
                Trainer trainer = model.newTrainer(SmallMlp.adamW(first))) {
            trainer.initialize(new Shape(4, 3));
            train(trainer, first, model, 0, SAVE_AFTER);
            model.save(dir, "run");
            first.saveState(dir, "run");
            train(trainer, first, model, SAVE_AFTER, STEPS);
            uninterrupted = weights(model);
        }
        ClippingTrainingListener guard = guard();
        try (Model model = SmallMlp.model("resume-freeze", engine)) {
            model.load(dir, "run");
            guard.loadState(dir, "run");
            try (Trainer trainer = model.newTrainer(SmallMlp.adamW(guard))) {
                trainer.initialize(new Shape(4, 3));
                train(trainer, guard, model, SAVE_AFTER, STEPS);
                List<float[]> resumed = weights(model);
                for (int i = 0; i < resumed.size(); i++) {
                    assertEquals(resumed.get(i), uninterrupted.get(i), engine + " parameter " + i);
                }
            }
        }
    }
}
