package io.gradguard.examples;

import static org.testng.Assert.assertEquals;
import static org.testng.Assert.assertFalse;
import static org.testng.Assert.assertTrue;

import io.gradguard.clip.ClipStrategy;
import io.gradguard.observe.SpikeCause;
import org.testng.annotations.DataProvider;
import org.testng.annotations.Test;

/**
 * The demo's story on both engines with the demo's data (4000 users x 90 days, seed 3) at a reduced
 * length: 5 epochs instead of 8, and the unguarded run stops at the end of the epoch where its loss
 * went non-finite.
 *
 * <p>Why the expectations hold. The 3200 training users hold about 32 power users (1%); with
 * batches of 32, a batch holds one with probability about {@code 1 - 0.99^32 = 0.28}. Such a
 * batch's gradient norm is tens of times the ordinary one (about 0.1: the mask carries hundreds of
 * events per day into the pooled vector), so with the threshold at 1 far more than 10% of any 100
 * steps clip, and every power user's batch spikes in most epochs: the same indices recur, which is
 * the data rule. With the 0/1 mask every pooled vector is a mean of bounded vectors, the norms stay
 * near the ordinary 0.1, an order of magnitude below the threshold, and nothing alerts.
 */
public class ChurnStoryTest {

    private static final int SEED = 3;
    private static final ChurnData DATA =
            ChurnDataGenerator.generate(ChurnDataSpec.of(4000, 90, 0.01, SEED));

    static RunSettings unguarded(String engine, OptimizerChoice optimizer, int epochs) {
        return new RunSettings(
                engine,
                "unguarded",
                ClipStrategy.observeOnly(),
                optimizer,
                optimizer.defaultLearningRate(),
                epochs,
                32,
                32,
                1,
                0.2f,
                false,
                1,
                true,
                SEED);
    }

    @DataProvider
    public Object[][] engines() {
        return new Object[][] {{"PyTorch"}, {"MXNet"}};
    }

    @Test(dataProvider = "engines")
    public void unguardedDiverges(String engine) throws Exception {
        RunResult before = TrainingRun.run(unguarded(engine, OptimizerChoice.SGD, 5), DATA);
        assertTrue(before.divergence().isPresent(), "unguarded loss went non-finite");
        assertFalse(Double.isFinite(before.finalTrainLoss()));
        assertTrue(before.nonFiniteWeightShare() > 0, "unguarded weights are garbage");
        assertTrue(before.norms().max() > 1e6, "unguarded norms blew up: " + before.norms());
    }

    @Test(dataProvider = "engines")
    public void alertFiresOnTheBuggyMaskAndNotOnTheFixedOneAndTheCauseIsData(String engine)
            throws Exception {
        RunSettings clipped =
                unguarded(engine, OptimizerChoice.SGD, 5)
                        .with("clip-1.0", ClipStrategy.globalNorm(1f), false);
        RunWatch buggyWatch = new RunWatch(null);
        RunResult buggy =
                TrainingRun.run(clipped, DATA, new RunHooks(buggyWatch.observers(), false));
        RunWatch fixedWatch = new RunWatch(null);
        RunResult fixed =
                TrainingRun.run(
                        clipped,
                        DATA.withBinaryMask(),
                        new RunHooks(fixedWatch.observers(), false));

        assertTrue(buggy.finishedFinite(), "the clipped run finished");
        assertTrue(buggyWatch.firstAlert().isPresent(), "alert on the buggy mask");
        long alertStep = buggyWatch.firstAlert().get().step();
        assertTrue(alertStep >= RunWatch.ALERT_WINDOW - 1, "no verdict before a full window");
        assertTrue(buggyWatch.firstAlert().get().value() > RunWatch.ALERT_RATE);
        assertTrue(fixedWatch.firstAlert().isEmpty(), "no alert on the fixed mask");
        assertTrue(
                fixed.statistics().clipRate() < buggy.statistics().clipRate(),
                fixed.statistics() + " vs " + buggy.statistics());
        assertTrue(
                fixed.validationAuc() >= buggy.validationAuc(),
                fixed.validationAuc() + " vs " + buggy.validationAuc());

        var spikes = buggyWatch.spikes();
        assertTrue(spikes.causes().contains(SpikeCause.DATA), spikes.report());
        assertFalse(spikes.causes().contains(SpikeCause.NUMERICS), spikes.report());
        Attribution a = Attribution.of(spikes, DATA);
        assertEquals(a.powerUsers(), DATA.longTailCount(0, DATA.spec().trainUsers()));
        assertTrue(a.batchPrecision() > 0.9, "spike batches hold power users: " + a);
        // Recall is looser: a power user is named when its batch spikes in two epochs, and the
        // power users with the fewest events (the lognormal's low tail) rarely lift a batch of 32
        // above ten times the median; a third is a floor, half is typical.
        assertTrue(a.userRecall() >= 1.0 / 3, "power users are named: " + a);
        assertTrue(a.namedPowerUsers() >= 2, "more than one power user named: " + a);
        assertFalse(
                fixedWatch.spikes().causes().contains(SpikeCause.DATA),
                fixedWatch.spikes().report());
    }

    @Test
    public void adamWStaysFiniteWithoutClipping() throws Exception {
        // AdamW's per-coordinate step m / (sqrt(v) + eps) stays near lr whatever the gradient's
        // scale, so the same spikes that wreck SGD do not make it overflow.
        RunResult run = TrainingRun.run(unguarded("PyTorch", OptimizerChoice.ADAMW, 3), DATA);
        assertTrue(run.divergence().isEmpty());
        assertTrue(run.finishedFinite());
        assertTrue(run.norms().max() > 10f * run.norms().median(), "spikes: " + run.norms());
        assertTrue(run.validationAuc() > 0.6, "AUC " + run.validationAuc());
    }
}
