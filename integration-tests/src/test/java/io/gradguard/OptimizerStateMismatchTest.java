package io.gradguard;

import static org.testng.Assert.assertFalse;
import static org.testng.Assert.assertTrue;
import static org.testng.Assert.expectThrows;

import ai.djl.MalformedModelException;
import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.DefaultTrainingConfig;
import ai.djl.training.Trainer;
import ai.djl.training.loss.Loss;
import ai.djl.training.optimizer.Optimizer;
import io.gradguard.OptimizerState.SavedArray;
import io.gradguard.clip.ClipStrategy;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;
import org.testng.annotations.Test;

/**
 * An optimizer state file that is well formed (valid checksum) but does not fit the model or the
 * optimizer it is loaded into is refused by name, before anything is put into the optimizer; an
 * optimizer whose state cannot be saved is refused at save, before anything is written. PyTorch,
 * float32, a 3-4-1 MLP trained with AdamW for two steps.
 */
public class OptimizerStateMismatchTest {

    private static final String ENGINE = "PyTorch";

    /** Trains two AdamW steps and saves to {@code dir}. */
    private static void saveTrained(Path dir) throws IOException {
        ClippingTrainingListener guard = SmallMlp.guard();
        try (Model model = SmallMlp.model("mismatch", ENGINE);
                Trainer trainer = model.newTrainer(SmallMlp.adamW(guard))) {
            trainer.initialize(new Shape(4, 3));
            SmallMlp.train(trainer, guard, 2, DataType.FLOAT32);
            model.save(dir, "run");
            guard.saveState(dir, "run");
        }
    }

    /** Rewrites the optimizer file with every array edited, keeping it tied to its guard file. */
    private static void edit(Path dir, UnaryOperator<SavedArray> change) throws IOException {
        byte[] guardFile = Files.readAllBytes(dir.resolve("run-gradguard.properties"));
        long guardCrc = OptimizerStateFile.crc(guardFile);
        Path file = OptimizerStateFile.resolve(dir, "run");
        OptimizerState s = OptimizerStateFile.read(file, guardCrc);
        List<SavedArray> arrays = new ArrayList<>();
        for (SavedArray a : s.arrays()) {
            arrays.add(a.parameter().endsWith("01Linear_weight") ? change.apply(a) : a);
        }
        OptimizerStateFile.write(
                new OptimizerState(s.kind(), s.numUpdate(), s.updateCounts(), arrays),
                guardCrc,
                file);
    }

    /** Loads {@code dir} into a new model and trainer; returns the refusal's message. */
    private static String refusal(Path dir) throws IOException, MalformedModelException {
        ClippingTrainingListener guard = SmallMlp.guard();
        try (Model model = SmallMlp.model("mismatch", ENGINE)) {
            model.load(dir, "run");
            try (Trainer trainer = model.newTrainer(SmallMlp.adamW(guard))) {
                trainer.initialize(new Shape(4, 3));
                InvalidCheckpointException e =
                        expectThrows(
                                InvalidCheckpointException.class,
                                () -> guard.loadState(dir, "run"));
                assertTrue(e.getMessage().contains("run-gradguard-optimizer.bin"), e.getMessage());
                return e.getProblem();
            }
        }
    }

    @Test
    public void aParameterTheModelDoesNotHaveIsNamed() throws Exception {
        Path dir = Files.createTempDirectory("gradguard-mismatch");
        saveTrained(dir);
        edit(
                dir,
                a ->
                        new SavedArray(
                                a.slot(),
                                "99Linear_weight",
                                a.device(),
                                a.dataType(),
                                a.shape(),
                                a.data()));
        String problem = refusal(dir);
        assertTrue(
                problem.contains("parameter '99Linear_weight', which the model does not have"),
                problem);
    }

    @Test
    public void anotherShapeIsNamed() throws Exception {
        Path dir = Files.createTempDirectory("gradguard-mismatch");
        saveTrained(dir);
        edit(
                dir,
                a ->
                        new SavedArray(
                                a.slot(),
                                a.parameter(),
                                a.device(),
                                a.dataType(),
                                new Shape(3, 4),
                                a.data()));
        String problem = refusal(dir);
        assertTrue(problem.contains("has shape (3, 4) but the parameter (4, 3)"), problem);
    }

    @Test
    public void anotherDataTypeIsNamed() throws Exception {
        Path dir = Files.createTempDirectory("gradguard-mismatch");
        saveTrained(dir);
        edit(
                dir,
                a ->
                        new SavedArray(
                                a.slot(),
                                a.parameter(),
                                a.device(),
                                DataType.INT32,
                                a.shape(),
                                a.data()));
        String problem = refusal(dir);
        assertTrue(problem.contains("is int32 but must be float32"), problem);
    }

    @Test
    public void aMasterForAFloat32ParameterPointsToToFloat16() throws Exception {
        // A float16 run's checkpoint loaded before the model is converted: the message must say
        // how to order the calls, not only that the parameter keeps no master.
        Path dir = Files.createTempDirectory("gradguard-mismatch");
        saveTrained(dir);
        edit(
                dir,
                a ->
                        new SavedArray(
                                OptimizerState.MASTER_SLOT,
                                a.parameter(),
                                a.device(),
                                a.dataType(),
                                a.shape(),
                                a.data()));
        String problem = refusal(dir);
        assertTrue(
                problem.contains("is a float32 master weight, but the parameter is float32"),
                problem);
        assertTrue(problem.contains("MixedPrecision.toFloat16(trainer) before"), problem);
    }

    @Test
    public void anOptimizerWithUnknownStateIsRefusedAtSave() throws IOException {
        Path dir = Files.createTempDirectory("gradguard-mismatch");
        ClippingTrainingListener guard = SmallMlp.guard();
        try (Model model = SmallMlp.model("mismatch", ENGINE);
                Trainer trainer =
                        model.newTrainer(
                                GradGuard.trainingConfig(Loss.l2Loss(), new HalvingSgd(), guard))) {
            trainer.initialize(new Shape(4, 3));
            SmallMlp.train(trainer, guard, 1, DataType.FLOAT32);
            IllegalStateException e =
                    expectThrows(IllegalStateException.class, () -> guard.saveState(dir, "run"));
            assertTrue(e.getMessage().contains(HalvingSgd.class.getName()), e.getMessage());
            assertTrue(e.getMessage().contains("cannot save or restore"), e.getMessage());
        }
        assertFalse(Files.exists(dir.resolve("run-gradguard.properties")));
        assertFalse(Files.exists(dir.resolve("run-gradguard-optimizer.bin")));
    }

    @Test
    public void withoutAGuardedOptimizerNoStateIsSavedAndSavedStateIsNotDropped() throws Exception {
        Path dir = Files.createTempDirectory("gradguard-mismatch");
        saveTrained(dir);
        Path companion = dir.resolve("run-gradguard-optimizer.bin");
        assertTrue(Files.exists(companion));
        // A listener alone (clipping, PROPAGATE) beside DJL's own optimizer keeps no optimizer
        // state: saving under the same name removes the earlier file rather than leave it to be
        // mistaken for this checkpoint's.
        ClippingTrainingListener alone =
                ClippingTrainingListener.builder()
                        .setStrategy(ClipStrategy.globalNorm(1f))
                        .optNonFinitePolicy(NonFinitePolicy.PROPAGATE)
                        .build();
        try (Model model = SmallMlp.model("mismatch", ENGINE);
                Trainer trainer = model.newTrainer(plainConfig(alone))) {
            trainer.initialize(new Shape(4, 3));
            alone.saveState(dir, "run");
            assertFalse(Files.exists(companion));
        }
        // Saved optimizer state loaded where no GuardedOptimizer can take it is refused at the
        // first batch, not dropped.
        saveTrained(dir);
        ClippingTrainingListener other =
                ClippingTrainingListener.builder()
                        .setStrategy(ClipStrategy.globalNorm(1f))
                        .optNonFinitePolicy(NonFinitePolicy.PROPAGATE)
                        .build();
        try (Model model = SmallMlp.model("mismatch", ENGINE)) {
            model.load(dir, "run");
            other.loadState(dir, "run");
            try (Trainer trainer = model.newTrainer(plainConfig(other))) {
                trainer.initialize(new Shape(4, 3));
                InvalidCheckpointException e =
                        expectThrows(
                                InvalidCheckpointException.class,
                                () -> SmallMlp.train(trainer, null, 1, DataType.FLOAT32));
                assertTrue(
                        e.getMessage().contains("not a GuardedOptimizer wired to this listener"),
                        e.getMessage());
            }
        }
    }

    private static DefaultTrainingConfig plainConfig(ClippingTrainingListener guard) {
        return new DefaultTrainingConfig(Loss.l2Loss())
                .optOptimizer(Optimizer.adamW().build())
                .addTrainingListeners(guard);
    }

    /** An optimizer DJL does not ship: {@code w -= g / 2}. */
    private static final class HalvingSgd extends Optimizer {
        HalvingSgd() {
            super(new Builder());
        }

        @Override
        public void update(String parameterId, NDArray weight, NDArray grad) {
            weight.subi(grad.div(2f));
        }

        private static final class Builder extends OptimizerBuilder<Builder> {
            @Override
            protected Builder self() {
                return this;
            }
        }
    }
}
