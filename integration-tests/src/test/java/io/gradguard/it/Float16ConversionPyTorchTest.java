package io.gradguard.it;

import static org.testng.Assert.assertEquals;
import static org.testng.Assert.assertFalse;
import static org.testng.Assert.assertTrue;

import ai.djl.Device;
import ai.djl.MalformedModelException;
import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.Parameter;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.core.Linear;
import ai.djl.training.DefaultTrainingConfig;
import ai.djl.training.Trainer;
import ai.djl.training.loss.Loss;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.Tracker;
import ai.djl.util.Pair;
import io.gradguard.ClippingTrainingListener;
import io.gradguard.GradGuard;
import io.gradguard.GuardedOptimizer;
import io.gradguard.MixedPrecision;
import io.gradguard.clip.ClipStrategy;
import io.gradguard.scale.LossScaler;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import org.testng.annotations.Test;

/**
 * {@link MixedPrecision#toFloat16}: a DJL block loaded from a float32 save, with a new head, and a
 * TorchScript {@code PtSymbolBlock} (made by {@code
 * src/test/resources/torchscript/make_fp32_model.py}) become float16 throughout, their float32
 * masters equal the saved float32 values bit for bit (not their float16 roundings), and they train:
 * a float16 forward pass (which fails on mixed types) and an update that starts from the masters.
 */
public class Float16ConversionPyTorchTest {

    private static final String ENGINE = "PyTorch";

    private static SequentialBlock backbone() {
        return new SequentialBlock()
                .add(Linear.builder().setUnits(8).build())
                .add(Activation::relu)
                .add(Linear.builder().setUnits(4).build());
    }

    @Test
    public void aLoadedDjlBlockWithANewHeadBecomesFloat16WithExactMasters()
            throws IOException, MalformedModelException {
        Path dir = Files.createTempDirectory("gradguard-fp16-djl");
        Map<String, float[]> saved = new HashMap<>();
        try (Model source = Model.newInstance("backbone", Device.cpu(), ENGINE)) {
            source.setBlock(backbone());
            source.getBlock()
                    .setInitializer(SeededInitializer.gaussian(3, 0.7), Parameter.Type.WEIGHT);
            source.getBlock().initialize(source.getNDManager(), DataType.FLOAT32, new Shape(2, 5));
            for (Pair<String, Parameter> p : source.getBlock().getParameters()) {
                saved.put(p.getKey(), p.getValue().getArray().toFloatArray());
            }
            source.save(dir, "backbone");
        }
        try (Model model = Model.newInstance("finetune", Device.cpu(), ENGINE)) {
            SequentialBlock backbone = backbone();
            model.setBlock(backbone);
            model.load(dir, "backbone");
            Map<Parameter, float[]> checkpoint = new HashMap<>();
            for (Pair<String, Parameter> p : backbone.getParameters()) {
                checkpoint.put(p.getValue(), saved.get(p.getKey()));
            }
            model.setBlock(
                    new SequentialBlock().add(backbone).add(Linear.builder().setUnits(1).build()));
            DefaultTrainingConfig config = guardedConfig();
            try (Trainer trainer = model.newTrainer(config)) {
                trainer.initialize(new Shape(2, 5));
                Map<Parameter, float[]> before = values(model);
                assertEquals(MixedPrecision.toFloat16(trainer), 6, "parameters converted");
                assertFloat16WithExactMasters(model, config, before);
                for (Map.Entry<Parameter, float[]> e : checkpoint.entrySet()) {
                    assertEquals(bits(before.get(e.getKey())), bits(e.getValue()), "loaded value");
                }
                assertEquals(MixedPrecision.toFloat16(trainer), 0, "a float16 model is a no-op");
                trainUntilApplied(trainer, model, config, before, new Shape(6, 5), new Shape(6, 1));
            }
        } finally {
            deleteTree(dir);
        }
    }

    @Test
    public void aLoadedTorchScriptBlockBecomesFloat16WithExactMasters()
            throws IOException, MalformedModelException {
        Path dir = Files.createTempDirectory("gradguard-fp16-ts");
        try (InputStream in = getClass().getResourceAsStream("/torchscript/tiny-fp32.pt")) {
            Files.copy(in, dir.resolve("tiny-fp32.pt"));
        }
        try (Model model = Model.newInstance("tiny-fp32", Device.cpu(), ENGINE)) {
            model.load(dir, "tiny-fp32", Map.of("trainParam", "true"));
            assertEquals(
                    model.getBlock().getClass().getSimpleName(), "PtSymbolBlock", "block type");
            DefaultTrainingConfig config = guardedConfig();
            try (Trainer trainer = model.newTrainer(config)) {
                // Registers the parameters with the trainer's store, whose updates the optimizer
                // receives (a PtSymbolBlock's forward does not).
                trainer.initialize(new Shape(6, 4));
                Map<Parameter, float[]> before = values(model);
                assertEquals(MixedPrecision.toFloat16(trainer), 4, "parameters converted");
                assertFloat16WithExactMasters(model, config, before);
                // The module's own tensors are float16: a float32 weight would fail this forward.
                trainUntilApplied(trainer, model, config, before, new Shape(6, 4), new Shape(6, 2));
            }
        } finally {
            deleteTree(dir);
        }
    }

    private static DefaultTrainingConfig guardedConfig() {
        ClippingTrainingListener guard =
                ClippingTrainingListener.builder()
                        .setStrategy(ClipStrategy.globalNorm(100f))
                        .optLossScaler(LossScaler.dynamic())
                        .build();
        Optimizer sgd = Optimizer.sgd().setLearningRateTracker(Tracker.fixed(0.01f)).build();
        return GradGuard.trainingConfig(Loss.l2Loss(), sgd, guard);
    }

    private static Map<Parameter, float[]> values(Model model) {
        Map<Parameter, float[]> values = new HashMap<>();
        for (Pair<String, Parameter> p : model.getBlock().getParameters()) {
            values.put(p.getValue(), p.getValue().getArray().toFloatArray());
        }
        return values;
    }

    private static void assertFloat16WithExactMasters(
            Model model, DefaultTrainingConfig config, Map<Parameter, float[]> before) {
        GuardedOptimizer optimizer = (GuardedOptimizer) config.getOptimizer();
        int roundedDifferently = 0;
        try (NDManager host = NDManager.newBaseManager(Device.cpu(), ENGINE)) {
            for (Pair<String, Parameter> pair : model.getBlock().getParameters()) {
                Parameter p = pair.getValue();
                NDArray value = p.getArray();
                assertEquals(value.getDataType(), DataType.FLOAT16, pair.getKey());
                float[] exact = before.get(p);
                // Rounded once: the value is the float16 rounding of the float32 value.
                float[] rounded =
                        host.create(exact)
                                .toType(DataType.FLOAT16, false)
                                .toType(DataType.FLOAT32, false)
                                .toFloatArray();
                assertEquals(value.toFloatArray(), rounded, pair.getKey() + " float16 value");
                NDArray master = optimizer.getMasterWeight(p.getId(), value.getDevice()).get();
                assertEquals(master.getDataType(), DataType.FLOAT32, pair.getKey());
                assertEquals(bits(master.toFloatArray()), bits(exact), pair.getKey() + " master");
                for (int i = 0; i < exact.length; i++) {
                    if (exact[i] != rounded[i]) {
                        roundedDifferently++;
                    }
                }
            }
        }
        // Otherwise masters taken from the float16 values would pass too.
        assertTrue(roundedDifferently > 0, "no value changes under float16 rounding");
    }

    /**
     * Guarded steps on float16 data until one applies (the first ones may overflow at the initial
     * loss scale and be skipped): the masters move, the float16 weights are written from them.
     */
    private static void trainUntilApplied(
            Trainer trainer,
            Model model,
            DefaultTrainingConfig config,
            Map<Parameter, float[]> before,
            Shape inputShape,
            Shape labelShape) {
        GuardedOptimizer optimizer = (GuardedOptimizer) config.getOptimizer();
        boolean moved = false;
        for (int step = 0; step < 30 && !moved; step++) {
            RandomSteps.step(trainer, 5 + step, inputShape, labelShape, DataType.FLOAT16);
            for (Pair<String, Parameter> pair : model.getBlock().getParameters()) {
                NDArray value = pair.getValue().getArray();
                float[] master =
                        optimizer
                                .getMasterWeight(pair.getValue().getId(), value.getDevice())
                                .get()
                                .toFloatArray();
                moved |= !Arrays.equals(master, before.get(pair.getValue()));
            }
        }
        assertTrue(moved, "no master moved in 30 steps");
        for (Pair<String, Parameter> pair : model.getBlock().getParameters()) {
            NDArray value = pair.getValue().getArray();
            assertEquals(value.getDataType(), DataType.FLOAT16, pair.getKey() + " after a step");
            float[] master =
                    optimizer
                            .getMasterWeight(pair.getValue().getId(), value.getDevice())
                            .get()
                            .toFloatArray();
            assertFalse(hasNonFinite(master), pair.getKey());
            try (NDManager host = NDManager.newBaseManager(Device.cpu(), ENGINE)) {
                float[] written =
                        host.create(master)
                                .toType(DataType.FLOAT16, false)
                                .toType(DataType.FLOAT32, false)
                                .toFloatArray();
                assertEquals(value.toFloatArray(), written, pair.getKey() + " from its master");
            }
        }
    }

    private static boolean hasNonFinite(float[] values) {
        for (float v : values) {
            if (!Float.isFinite(v)) {
                return true;
            }
        }
        return false;
    }

    private static int[] bits(float[] values) {
        int[] bits = new int[values.length];
        for (int i = 0; i < values.length; i++) {
            bits[i] = Float.floatToRawIntBits(values[i]);
        }
        return bits;
    }

    private static void deleteTree(Path dir) throws IOException {
        try (var paths = Files.walk(dir)) {
            for (Path p : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
