package io.gradguard.it.review;

import static org.testng.Assert.assertEquals;
import static org.testng.Assert.expectThrows;

import ai.djl.ndarray.NDManager;
import ai.djl.training.DefaultTrainingConfig;
import ai.djl.training.EasyTrain;
import ai.djl.training.Trainer;
import ai.djl.training.loss.Loss;
import io.gradguard.ClipStrategy;
import io.gradguard.ClippingTrainingListener;
import io.gradguard.GuardedOptimizer;
import org.testng.annotations.Test;

/**
 * A {@link GuardedOptimizer} wired by hand with a plain loss and without its listener: every update
 * is refused, and the refusal must reach the caller on every engine, not only a log line, or
 * training silently makes no progress.
 */
public abstract class ForgottenListenerKit {

    /** Returns the engine name to test. */
    protected abstract String engineName();

    @Test
    public void aGuardedOptimizerWithoutItsListenerFailsLoudly() {
        ClippingTrainingListener guard =
                ClippingTrainingListener.builder()
                        .setStrategy(ClipStrategy.globalNorm(1000f))
                        .build();
        DefaultTrainingConfig config =
                new DefaultTrainingConfig(Loss.l2Loss())
                        .optOptimizer(new GuardedOptimizer(OneUnit.sgd(), guard));
        try (OneUnit unit = new OneUnit(engineName());
                Trainer trainer = unit.newTrainer(config);
                NDManager batches = trainer.getManager().newSubManager()) {
            expectThrows(
                    IllegalStateException.class,
                    () -> {
                        for (int i = 0; i < 3; i++) {
                            EasyTrain.trainBatch(trainer, unit.batch(batches, 1, 1f, 1f));
                            trainer.step();
                        }
                    });
            assertEquals(unit.weight(), 0f, 0f);
        }
    }
}
