package io.gradguard.it;

import static org.testng.Assert.assertEquals;

import ai.djl.Device;
import ai.djl.MalformedModelException;
import ai.djl.Model;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.nn.core.Linear;
import ai.djl.training.DefaultTrainingConfig;
import ai.djl.training.Trainer;
import ai.djl.training.loss.Loss;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.Tracker;
import ai.djl.util.Pair;
import io.gradguard.ClippingTrainingListener;
import io.gradguard.ClippingTrainingListenerBuilder;
import io.gradguard.GradGuard;
import io.gradguard.GuardedOptimizer;
import io.gradguard.MixedPrecision;
import io.gradguard.clip.ClipStrategy;
import io.gradguard.scale.LossScaler;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.testng.annotations.Test;

/**
 * The guard reads data types from the parameters: with loss scaling on and every trainable
 * parameter float32 it logs one WARN (the run would silently train in float32 with a 65,536 scale);
 * a TorchScript model whose parameters are float16, although {@code Model.getDataType()} reports
 * float32, is trained as float16 (no warning, float32 masters) and is left alone by {@link
 * MixedPrecision#toFloat16}. The bfloat16 case is {@link TorchScriptDataTypePyTorchTest}.
 */
public class Float32ScalingWarningPyTorchTest {

    private static final String WARNING = "but all 2 trainable parameters are float32";

    @Test
    public void float32ParametersWithLossScalingWarnOnce() {
        String log = stderrOf(() -> trainLinear(LossScaler.dynamic(), 3));
        assertEquals(occurrences(log, WARNING), 1, log);
        assertEquals(occurrences(log, "MixedPrecision.toFloat16(trainer)"), 1, log);
    }

    @Test
    public void float32ParametersWithoutLossScalingDoNotWarn() {
        String log = stderrOf(() -> trainLinear(LossScaler.none(), 2));
        assertEquals(occurrences(log, "trainable parameters are float32"), 0, log);
    }

    @Test
    public void convertedParametersDoNotWarn() {
        String log = stderrOf(() -> trainLinear(LossScaler.dynamic(), -2));
        assertEquals(occurrences(log, "trainable parameters are float32"), 0, log);
    }

    @Test
    public void float16TorchScriptParametersAreReadFromTheParameters()
            throws IOException, MalformedModelException {
        Path dir = Files.createTempDirectory("gradguard-torchscript-fp16");
        try (InputStream in = getClass().getResourceAsStream("/torchscript/tiny-fp16.pt")) {
            Files.copy(in, dir.resolve("tiny-fp16.pt"));
        }
        try (Model model = Model.newInstance("tiny-fp16", Device.cpu(), "PyTorch")) {
            model.load(dir, "tiny-fp16", Map.of("trainParam", "true"));
            assertEquals(model.getDataType(), DataType.FLOAT32, "what DJL reports");
            DefaultTrainingConfig config = config(LossScaler.dynamic());
            String log =
                    stderrOf(
                            () -> {
                                try (Trainer trainer = model.newTrainer(config)) {
                                    trainer.initialize(new Shape(3, 4));
                                    assertEquals(MixedPrecision.toFloat16(trainer), 0);
                                    for (int i = 0; i < 3; i++) {
                                        RandomSteps.step(
                                                trainer,
                                                i,
                                                new Shape(3, 4),
                                                new Shape(3, 2),
                                                DataType.FLOAT16);
                                    }
                                }
                            });
            assertEquals(occurrences(log, "trainable parameters are float32"), 0, log);
            GuardedOptimizer optimizer = (GuardedOptimizer) config.getOptimizer();
            for (Pair<String, Parameter> pair : model.getBlock().getParameters()) {
                assertEquals(pair.getValue().getArray().getDataType(), DataType.FLOAT16);
                // Trained through a float32 master, as a float16 parameter is.
                assertEquals(
                        optimizer
                                .getMasterWeight(pair.getValue().getId(), Device.cpu())
                                .orElseThrow()
                                .getDataType(),
                        DataType.FLOAT32,
                        pair.getKey());
            }
        } finally {
            Files.deleteIfExists(dir.resolve("tiny-fp16.pt"));
            Files.deleteIfExists(dir);
        }
    }

    /** Trains a Linear(2) model; negative steps mean: converted to float16 first. */
    private static void trainLinear(LossScaler scaler, int steps) {
        boolean fp16 = steps < 0;
        try (Model model = Model.newInstance("linear", Device.cpu(), "PyTorch")) {
            model.setBlock(Linear.builder().setUnits(1).build());
            try (Trainer trainer = model.newTrainer(config(scaler))) {
                trainer.initialize(new Shape(4, 3));
                if (fp16) {
                    MixedPrecision.toFloat16(trainer);
                }
                DataType type = fp16 ? DataType.FLOAT16 : DataType.FLOAT32;
                for (int i = 0; i < Math.abs(steps); i++) {
                    RandomSteps.step(trainer, i, new Shape(4, 3), new Shape(4, 1), type);
                }
            }
        }
    }

    private static DefaultTrainingConfig config(LossScaler scaler) {
        ClippingTrainingListenerBuilder builder =
                ClippingTrainingListener.builder().setStrategy(ClipStrategy.globalNorm(10f));
        ClippingTrainingListener guard = builder.optLossScaler(scaler).build();
        Optimizer sgd = Optimizer.sgd().setLearningRateTracker(Tracker.fixed(0.01f)).build();
        return GradGuard.trainingConfig(Loss.l2Loss(), sgd, guard);
    }

    /** Runs {@code body} with System.err captured (slf4j-simple writes there at each call). */
    private static synchronized String stderrOf(Runnable body) {
        PrintStream original = System.err;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
        try {
            body.run();
        } finally {
            System.setErr(original);
        }
        String text = captured.toString(StandardCharsets.UTF_8);
        original.print(text);
        return text;
    }

    private static int occurrences(String text, String needle) {
        int count = 0;
        for (int i = text.indexOf(needle); i >= 0; i = text.indexOf(needle, i + 1)) {
            count++;
        }
        return count;
    }
}
