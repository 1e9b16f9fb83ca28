package io.gradguard.it;

import static org.testng.Assert.assertEquals;

import ai.djl.engine.Engine;
import ai.djl.training.DefaultTrainingConfig;
import ai.djl.training.EasyTrain;
import ai.djl.training.Trainer;
import ai.djl.training.dataset.Batch;
import ai.djl.training.loss.Loss;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.Tracker;
import io.gradguard.ClippingTrainingListener;
import io.gradguard.GradGuard;
import io.gradguard.NonFinitePolicy;
import io.gradguard.ReportMode;
import io.gradguard.clip.ClipStrategy;
import io.gradguard.pytorch.TorchScriptCallCount;
import io.gradguard.scale.LossScaler;
import io.gradguard.spi.GradientOps;
import java.util.ArrayList;
import java.util.List;
import org.testng.annotations.DataProvider;
import org.testng.annotations.Test;

/**
 * A guarded global-norm step on PyTorch crosses into native code for the guard exactly once: one
 * TorchScript call unscales, checks, measures, clips and packs, whatever the number of parameters,
 * with or without a loss scale, with the accumulation mean folded in, in every report mode. The
 * count is the fused ops' own count of TorchScript calls, taken around {@code trainBatch} (where
 * the listener runs) and around {@code Trainer.step()} of every batch. A held micro-batch of an
 * accumulation window makes none. {@code Trainer.step()} makes none either, except that with
 * accumulation the optimizer zeroes each updated parameter's gradient after applying it (native
 * accumulation adds the next window onto it otherwise): one call per parameter.
 */
public class OneNativeCallPerStepTest {

    /**
     * Supplies test parameters.
     *
     * @return loss scaling on and off, accumulation over 1 and 3 micro-batches, two report modes
     */
    @DataProvider
    public Object[][] settings() {
        List<Object[]> rows = new ArrayList<>();
        for (boolean scaled : new boolean[] {false, true}) {
            for (int micro : new int[] {1, 3}) {
                for (ReportMode mode :
                        new ReportMode[] {ReportMode.ON_DEMAND, ReportMode.EVERY_STEP}) {
                    rows.add(new Object[] {scaled, micro, mode});
                }
            }
        }
        return rows.toArray(Object[][]::new);
    }

    /**
     * Each window's last batch makes one TorchScript call; the others make none.
     *
     * @param scaled whether a dynamic loss scaler is on
     * @param micro micro-batches per optimizer step
     * @param mode the report mode
     */
    @Test(dataProvider = "settings")
    public void oneTorchScriptCallPerGuardedStep(boolean scaled, int micro, ReportMode mode) {
        ClippingTrainingListener guard =
                ClippingTrainingListener.builder()
                        .setStrategy(ClipStrategy.globalNorm(1f))
                        .optLossScaler(scaled ? LossScaler.dynamic() : LossScaler.none())
                        .optNonFinitePolicy(NonFinitePolicy.SKIP_STEP)
                        .optAccumulationSteps(micro)
                        .optReportMode(mode)
                        .optGradientOps(GradientOps.forEngine(Engine.getEngine("PyTorch")))
                        .build();
        Optimizer sgd = Optimizer.sgd().setLearningRateTracker(Tracker.fixed(0.01f)).build();
        DefaultTrainingConfig config = GradGuard.trainingConfig(Loss.l2Loss(), sgd, guard);
        List<long[]> perBatch = new ArrayList<>();
        int parameters;
        try (TinyRegression problem = new TinyRegression("PyTorch", 21);
                Trainer trainer = problem.newTrainer(config, 21)) {
            parameters = trainer.getModel().getBlock().getParameters().size();
            for (Batch batch : trainer.iterateDataset(problem.dataset())) {
                try (batch) {
                    long before = TorchScriptCallCount.soFar();
                    EasyTrain.trainBatch(trainer, batch);
                    long guarded = TorchScriptCallCount.soFar();
                    trainer.step();
                    long stepped = TorchScriptCallCount.soFar();
                    perBatch.add(new long[] {guarded - before, stepped - guarded});
                }
            }
        } catch (java.io.IOException | ai.djl.translate.TranslateException e) {
            throw new IllegalStateException(e);
        }
        assertEquals(perBatch.size(), TinyRegression.SAMPLES / TinyRegression.BATCH);
        for (int i = 0; i < perBatch.size(); i++) {
            boolean windowEnds = (i + 1) % micro == 0;
            String where = "batch " + i + " (" + scaled + ", " + micro + ", " + mode + ")";
            assertEquals(perBatch.get(i)[0], windowEnds ? 1L : 0L, "guard's calls at " + where);
            long zeroing = windowEnds && micro > 1 ? parameters : 0;
            assertEquals(perBatch.get(i)[1], zeroing, "optimizer's calls at " + where);
        }
    }
}
