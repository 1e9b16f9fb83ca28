package io.gradguard.it;

import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.Tracker;
import java.util.List;
import org.testng.annotations.Test;

/** The same model, data and seed give the same weights on PyTorch and MXNet. */
public class CrossEngineAccumulationTest {

    @Test
    public void pytorchAndMxnetAgree() {
        for (boolean adam : new boolean[] {true, false}) {
            List<float[]> pytorch =
                    AccumulationKit.fit("PyTorch", null, 64, 4, 4, optimizer(adam), 2, null);
            List<float[]> mxnet =
                    AccumulationKit.fit("MXNet", null, 64, 4, 4, optimizer(adam), 2, null);
            AccumulationKit.assertClose(mxnet, pytorch, 1e-4, adam ? "adam" : "sgd");
        }
    }

    private static Optimizer optimizer(boolean adam) {
        return adam
                ? Optimizer.adam().optLearningRateTracker(Tracker.fixed(0.01f)).build()
                : Optimizer.sgd().setLearningRateTracker(Tracker.fixed(0.02f)).build();
    }
}
