package io.gradguard.it;

import static org.testng.Assert.assertTrue;
import static org.testng.Assert.expectThrows;

import ai.djl.Device;
import ai.djl.MalformedModelException;
import ai.djl.Model;
import ai.djl.training.loss.Loss;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.Tracker;
import io.gradguard.ClippingTrainingListener;
import io.gradguard.GradGuard;
import io.gradguard.clip.ClipStrategy;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.testng.annotations.Test;

/**
 * A loaded TorchScript model reports float32 from {@code Model.getDataType()} whatever its
 * parameters hold, so the guard reads the parameters: a bfloat16 TorchScript model (made by {@code
 * src/test/resources/torchscript/make_bf16_model.py}) is refused with a clear error when the
 * trainer is created, before any training step.
 */
public class TorchScriptDataTypePyTorchTest {

    @Test
    public void aBfloat16TorchScriptModelIsRefusedFromItsParameters()
            throws IOException, MalformedModelException {
        Path dir = Files.createTempDirectory("gradguard-torchscript");
        try (InputStream in = getClass().getResourceAsStream("/torchscript/tiny-bf16.pt")) {
            Files.copy(in, dir.resolve("tiny-bf16.pt"));
        }
        try (Model model = Model.newInstance("tiny-bf16", Device.cpu(), "PyTorch")) {
            model.load(dir, "tiny-bf16", Map.of("trainParam", "true"));
            ClippingTrainingListener guard =
                    ClippingTrainingListener.builder()
                            .setStrategy(ClipStrategy.globalNorm(1f))
                            .build();
            Optimizer sgd = Optimizer.sgd().setLearningRateTracker(Tracker.fixed(0.1f)).build();
            IllegalArgumentException e =
                    expectThrows(
                            IllegalArgumentException.class,
                            () ->
                                    model.newTrainer(
                                            GradGuard.trainingConfig(Loss.l2Loss(), sgd, guard)));
            assertTrue(e.getMessage().contains("bfloat16"), e.getMessage());
            assertTrue(e.getMessage().startsWith("Parameter "), e.getMessage());
        } finally {
            Files.deleteIfExists(dir.resolve("tiny-bf16.pt"));
            Files.deleteIfExists(dir);
        }
    }
}
