package io.gradguard;

import static org.testng.Assert.assertEquals;

import ai.djl.Device;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.training.loss.Loss;
import io.gradguard.scale.LossScaler;
import org.testng.annotations.Test;

/** {@link ScaledLoss} differentiates {@code loss * S} but accumulates the true loss. */
public class ScaledLossTest {

    @Test
    public void evaluateScalesAndAccumulatorsDoNot() {
        try (NDManager m = NDManager.newBaseManager(Device.cpu(), "PyTorch")) {
            NDList labels = new NDList(m.create(new float[] {1f, 2f}));
            NDList predictions = new NDList(m.create(new float[] {2f, 4f}));
            // DJL's L2 loss is mean(0.5 * (label - prediction)^2) = (0.5 + 2) / 2 = 1.25.
            ScaledLoss loss = new ScaledLoss(Loss.l2Loss(), LossScaler.fixed(1024f));
            assertEquals(loss.getName(), "L2Loss");
            assertEquals(loss.evaluate(labels, predictions).getFloat(), 1.25f * 1024f);
            loss.addAccumulator("train");
            loss.updateAccumulator("train", labels, predictions);
            assertEquals(loss.getAccumulator("train"), 1.25f);
            loss.resetAccumulator("train");
            loss.updateAccumulators(new String[] {"train"}, labels, predictions);
            assertEquals(loss.getAccumulator("train"), 1.25f);
        }
    }
}
