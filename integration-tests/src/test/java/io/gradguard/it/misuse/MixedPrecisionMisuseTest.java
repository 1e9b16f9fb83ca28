package io.gradguard.it.misuse;

import static org.testng.Assert.assertTrue;
import static org.testng.Assert.expectThrows;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.core.Linear;
import ai.djl.training.DefaultTrainingConfig;
import ai.djl.training.EasyTrain;
import ai.djl.training.Trainer;
import ai.djl.training.dataset.Batch;
import ai.djl.training.loss.Loss;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.Tracker;
import ai.djl.translate.Batchifier;
import io.gradguard.GradGuard;
import io.gradguard.MixedPrecision;
import io.gradguard.SmallMlp;
import java.util.function.Function;
import org.testng.annotations.Test;

/**
 * {@link MixedPrecision#toFloat16} refuses what it cannot do well, with a message that says what to
 * do instead, and changes nothing: no trainer, a trainer without a guard, an engine without float16
 * training, a model not yet initialized, a guard that already processed a batch, a parameter that
 * is neither float32 nor float16.
 */
public class MixedPrecisionMisuseTest {

    @Test
    public void nullTrainerIsRefused() {
        IllegalArgumentException e =
                expectThrows(IllegalArgumentException.class, () -> MixedPrecision.toFloat16(null));
        assertTrue(e.getMessage().contains("trainer"), e.getMessage());
    }

    @Test
    public void aTrainerWithoutGuardIsRefused() {
        String message =
                refusal(
                        "PyTorch",
                        sgd -> new DefaultTrainingConfig(Loss.l2Loss()).optOptimizer(sgd),
                        true,
                        false);
        assertTrue(message.contains("ClippingTrainingListener"), message);
    }

    @Test
    public void mxnetIsRefused() {
        String message = refusal("MXNet", MixedPrecisionMisuseTest::guarded, true, false);
        assertTrue(message.contains("PyTorch engine, got MXNet"), message);
    }

    @Test
    public void anUninitializedModelIsRefused() {
        String message = refusal("PyTorch", MixedPrecisionMisuseTest::guarded, false, false);
        assertTrue(message.contains("trainer.initialize"), message);
    }

    @Test
    public void aGuardThatProcessedABatchIsRefused() {
        String message = refusal("PyTorch", MixedPrecisionMisuseTest::guarded, true, true);
        assertTrue(message.contains("before the first training batch"), message);
    }

    @Test
    public void aFloat64ParameterIsRefusedByName() {
        try (Model model = Model.newInstance("float64", Device.cpu(), "PyTorch")) {
            model.setDataType(DataType.FLOAT64);
            model.setBlock(Linear.builder().setUnits(1).build());
            Optimizer sgd = Optimizer.sgd().setLearningRateTracker(Tracker.fixed(0.1f)).build();
            try (Trainer trainer = model.newTrainer(guarded(sgd))) {
                trainer.initialize(new Shape(2, 3));
                IllegalArgumentException e =
                        expectThrows(
                                IllegalArgumentException.class,
                                () -> MixedPrecision.toFloat16(trainer));
                assertTrue(e.getMessage().startsWith("Parameter "), e.getMessage());
                assertTrue(e.getMessage().contains("float64"), e.getMessage());
                model.getBlock()
                        .getParameters()
                        .forEach(
                                p ->
                                        assertTrue(
                                                p.getValue().getArray().getDataType()
                                                        == DataType.FLOAT64,
                                                p.getKey()));
            }
        }
    }

    private static DefaultTrainingConfig guarded(Optimizer sgd) {
        return GradGuard.trainingConfig(Loss.l2Loss(), sgd, SmallMlp.guard());
    }

    /** Returns the message of the refusal; the parameters stay float32. */
    private static String refusal(
            String engine,
            Function<Optimizer, DefaultTrainingConfig> config,
            boolean initialize,
            boolean trainFirst) {
        Optimizer sgd = Optimizer.sgd().setLearningRateTracker(Tracker.fixed(0.1f)).build();
        try (Model model = Model.newInstance("misuse", Device.cpu(), engine)) {
            model.setBlock(Linear.builder().setUnits(1).build());
            try (Trainer trainer = model.newTrainer(config.apply(sgd))) {
                if (initialize) {
                    trainer.initialize(new Shape(2, 3));
                }
                if (trainFirst) {
                    try (NDManager m = trainer.getManager().newSubManager()) {
                        Batch batch =
                                new Batch(
                                        m,
                                        new NDList(m.ones(new Shape(2, 3))),
                                        new NDList(m.ones(new Shape(2, 1))),
                                        2,
                                        Batchifier.STACK,
                                        Batchifier.STACK,
                                        0,
                                        1);
                        EasyTrain.trainBatch(trainer, batch);
                        trainer.step();
                    }
                }
                RuntimeException e =
                        expectThrows(
                                RuntimeException.class, () -> MixedPrecision.toFloat16(trainer));
                assertTrue(
                        e instanceof IllegalArgumentException || e instanceof IllegalStateException,
                        e.toString());
                if (initialize) {
                    model.getBlock()
                            .getParameters()
                            .forEach(
                                    p ->
                                            assertTrue(
                                                    p.getValue().getArray().getDataType()
                                                            == DataType.FLOAT32,
                                                    p.getKey()));
                }
                return e.getMessage();
            }
        }
    }
}
