package io.gradguard.it;

import static org.testng.Assert.assertEquals;
import static org.testng.Assert.assertTrue;
import static org.testng.Assert.expectThrows;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.engine.EngineException;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.recurrent.LSTM;
import ai.djl.training.EasyTrain;
import ai.djl.training.GradientCollector;
import ai.djl.training.Trainer;
import ai.djl.training.dataset.Batch;
import ai.djl.training.loss.Loss;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.Tracker;
import ai.djl.translate.Batchifier;
import io.gradguard.ClippingTrainingListener;
import io.gradguard.GradGuard;
import io.gradguard.MixedPrecision;
import io.gradguard.clip.ClipStrategy;
import io.gradguard.scale.LossScaler;
import org.testng.annotations.Test;

/**
 * DJL's {@code LSTM} after {@link MixedPrecision#toFloat16}, as its javadoc and the README say:
 * called with the input alone it builds float32 zero states and the engine refuses the mixed types
 * (libtorch 2.7.1 on CPU: "mat1 and mat2 must have the same dtype"); called with float16 initial
 * states {@code (h0, c0)} of shape {@code (layers × directions, batch, state)} it trains, guarded,
 * in float16.
 */
public class Float16LstmPyTorchTest {

    private static final Shape INPUT = new Shape(2, 3, 5); // batch, time, features (batch first)
    private static final Shape STATE = new Shape(1, 2, 4); // layers × directions, batch, state

    @Test
    @SuppressWarnings("try") // the collector only has to be open
    public void float16LstmNeedsFloat16InitialStates() {
        try (Model model = Model.newInstance("lstm", Device.cpu(), "PyTorch")) {
            model.setBlock(
                    LSTM.builder().setStateSize(4).setNumLayers(1).optBatchFirst(true).build());
            ClippingTrainingListener guard =
                    ClippingTrainingListener.builder()
                            .setStrategy(ClipStrategy.globalNorm(10f))
                            .optLossScaler(LossScaler.dynamic())
                            .build();
            Optimizer sgd = Optimizer.sgd().setLearningRateTracker(Tracker.fixed(0.01f)).build();
            try (Trainer trainer =
                    model.newTrainer(GradGuard.trainingConfig(Loss.l2Loss(), sgd, guard))) {
                trainer.initialize(INPUT);
                assertEquals(MixedPrecision.toFloat16(trainer), 4, "two weights, two biases");
                try (NDManager m = trainer.getManager().newSubManager()) {
                    NDArray x = m.randomNormal(INPUT).toType(DataType.FLOAT16, false);
                    try (GradientCollector collector = trainer.newGradientCollector()) {
                        EngineException e =
                                expectThrows(
                                        EngineException.class,
                                        () -> trainer.forward(new NDList(x)));
                        String message = String.valueOf(e.getMessage());
                        assertTrue(
                                message.contains("dtype") || message.contains("primitive"),
                                message);
                    }
                }
                for (int step = 0; step < 3; step++) {
                    try (NDManager m = trainer.getManager().newSubManager()) {
                        NDArray x = m.randomNormal(INPUT).toType(DataType.FLOAT16, false);
                        NDArray h0 = m.zeros(STATE, DataType.FLOAT16);
                        NDArray c0 = m.zeros(STATE, DataType.FLOAT16);
                        NDArray y =
                                m.randomNormal(new Shape(2, 3, 4)).toType(DataType.FLOAT16, false);
                        Batch batch =
                                new Batch(
                                        m,
                                        new NDList(x, h0, c0),
                                        new NDList(y),
                                        2,
                                        Batchifier.STACK,
                                        Batchifier.STACK,
                                        0,
                                        1);
                        EasyTrain.trainBatch(trainer, batch);
                        trainer.step();
                    }
                    assertTrue(guard.getLastReport().isPresent(), "the guard processed a step");
                }
                model.getBlock()
                        .getParameters()
                        .forEach(
                                p ->
                                        assertEquals(
                                                p.getValue().getArray().getDataType(),
                                                DataType.FLOAT16,
                                                p.getKey()));
                assertEquals(guard.getStepCount(), 3);
            }
        }
    }
}
