package io.gradguard.it.misuse;

import static org.testng.Assert.assertEquals;
import static org.testng.Assert.expectThrows;

import ai.djl.ndarray.NDManager;
import ai.djl.training.DefaultTrainingConfig;
import ai.djl.training.EasyTrain;
import ai.djl.training.Trainer;
import ai.djl.training.loss.Loss;
import io.gradguard.ClippingTrainingListener;
import io.gradguard.GuardedOptimizer;
import io.gradguard.clip.ClipStrategy;
import org.testng.annotations.Test;

/**
 * A {@link GuardedOptimizer} wired by hand with a plain loss and without its listener: every update
 * is refused and the weights never move. On PyTorch the refusal reaches the caller from {@code
 * Trainer.step()}; MXNet calls the optimizer from native code, which swallows exceptions, so there
 * (without a {@code ScaledLoss} to raise it again) the refusal shows in the log only, as {@code
 * GuardedOptimizer}'s javadoc says.
 */
public abstract class ForgottenListenerKit {

    /** Returns the engine name to test. */
    protected abstract String engineName();

    /** Returns whether an exception thrown inside an optimizer update reaches the caller. */
    protected abstract boolean refusalReachesCaller();

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
            Runnable training =
                    () -> {
                        for (int i = 0; i < 3; i++) {
                            EasyTrain.trainBatch(trainer, unit.batch(batches, 1, 1f, 1f));
                            trainer.step();
                        }
                    };
            if (refusalReachesCaller()) {
                expectThrows(IllegalStateException.class, training::run);
            } else {
                training.run();
            }
            assertEquals(unit.weight(), 0f, 0f);
        }
    }
}
