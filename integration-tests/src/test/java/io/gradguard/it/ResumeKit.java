package io.gradguard.it;

import static org.testng.Assert.assertEquals;
import static org.testng.Assert.assertNotEquals;
import static org.testng.Assert.assertTrue;
import static org.testng.Assert.expectThrows;

import ai.djl.MalformedModelException;
import ai.djl.ndarray.NDManager;
import ai.djl.training.Trainer;
import ai.djl.training.dataset.Batch;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.Tracker;
import io.gradguard.ClippingTrainingListener;
import io.gradguard.GradGuard;
import io.gradguard.GuardCheckpoint;
import io.gradguard.GuardedTraining;
import io.gradguard.StepReport;
import io.gradguard.clip.ClipStrategy;
import io.gradguard.scale.LossScaler;
import io.gradguard.scale.LossScalerState;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.function.Supplier;
import org.testng.annotations.DataProvider;
import org.testng.annotations.Test;

/**
 * Stop and resume on one engine: a run stopped after window {@code k}, saved with DJL's {@code
 * model.save} and {@link ClippingTrainingListener#saveState}, and resumed in a fresh model, trainer
 * and listener, ends bit-identical to the uninterrupted run, with the same step reports (loss scale
 * included) and the same final listener state.
 *
 * <p>The run: micro-batches of 4, windows of 2 (accumulation), SGD without momentum (optimizer
 * state: see {@link #adamResumesExactlyFromItsSavedState}), global-norm clipping that fires, and a
 * dynamic loss scaler (2^10, growth every 3 clean windows, hysteresis 2) with overflows in windows
 * 3, 4, 11 and 12: the scale has changed before either checkpoint, the growth tracker is 2 at
 * window 10, and the hysteresis counter is 1 at window 12, so the overflow of window 12 backs off
 * only if the counter was restored.
 */
public abstract class ResumeKit {

    static final int MICRO = 4;
    static final int WINDOW = 2;
    static final int EPOCHS = 3;
    static final Set<Integer> FAULT_WINDOWS = Set.of(3, 4, 11, 12);

    /** Returns the engine name to test. */
    protected abstract String engineName();

    private static ClippingTrainingListener guard(List<StepReport> reports) {
        return ClippingTrainingListener.builder()
                .setStrategy(ClipStrategy.globalNorm(3f))
                .optLossScaler(
                        LossScaler.dynamicBuilder()
                                .optInitialScale(1024f)
                                .optGrowthInterval(3)
                                .optHysteresis(2)
                                .build())
                .optAccumulationSteps(WINDOW)
                .optReportConsumer(reports::add)
                .build();
    }

    private static Optimizer sgd() {
        return Optimizer.sgd().setLearningRateTracker(Tracker.fixed(0.02f)).build();
    }

    static Optimizer adam() {
        return Optimizer.adam().optLearningRateTracker(Tracker.fixed(0.01f)).build();
    }

    /** The state of a run at its end. */
    record Outcome(List<float[]> weights, List<StepReport> reports, GuardCheckpoint state) {}

    /**
     * Trains micro-batches {@code [from, to)} of the schedule; before {@code from}, restores from
     * {@code dir} (model first, listener state before or after the trainer exists); at {@code to},
     * saves to {@code dir} if it is not null.
     */
    Outcome segment(
            int from,
            int to,
            Path dir,
            boolean loadStateFirst,
            boolean restoreState,
            Supplier<Optimizer> optimizer) {
        List<StepReport> reports = new ArrayList<>();
        ClippingTrainingListener guard = guard(reports);
        InjectingLoss loss = InjectingLoss.overflowing();
        try (TinyRegression problem = new TinyRegression(engineName(), 51)) {
            if (from > 0) {
                problem.model().load(dir, "ckpt");
                if (restoreState && loadStateFirst) {
                    guard.loadState(dir, "ckpt");
                }
            }
            try (Trainer trainer =
                            problem.newTrainer(
                                    GradGuard.trainingConfig(loss, optimizer.get(), guard), 51);
                    NDManager manager = trainer.getManager().newSubManager()) {
                if (from > 0 && restoreState && !loadStateFirst) {
                    guard.loadState(dir, "ckpt");
                }
                List<Batch> micro = problem.explicitBatches(manager, MICRO, EPOCHS);
                int perEpoch = TinyRegression.SAMPLES / MICRO;
                for (int i = from; i < to; i++) {
                    loss.arm(FAULT_WINDOWS.contains(i / WINDOW));
                    GuardedTraining.trainBatch(trainer, micro.get(i));
                    GuardedTraining.step(trainer, guard);
                    if ((i + 1) % perEpoch == 0) {
                        trainer.notifyListeners(listener -> listener.onEpoch(trainer));
                    }
                }
                if (dir != null && to < micro.size()) {
                    problem.model().save(dir, "ckpt");
                    guard.saveState(dir, "ckpt");
                }
                return new Outcome(problem.weights(), reports, guard.checkpoint());
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (MalformedModelException e) {
            throw new IllegalStateException(e);
        }
    }

    static int total() {
        return EPOCHS * TinyRegression.SAMPLES / MICRO;
    }

    @DataProvider
    public Object[][] checkpoints() {
        // window 10: growth tracker 2; window 12: hysteresis counter 1. State loaded before or
        // after the trainer exists.
        return new Object[][] {{10, true}, {10, false}, {12, true}, {12, false}};
    }

    @Test(dataProvider = "checkpoints")
    public void resumedRunEqualsTheUninterruptedOne(int window, boolean loadStateFirst)
            throws IOException {
        Outcome whole = segment(0, total(), null, false, false, ResumeKit::sgd);
        Path dir = Files.createTempDirectory("gradguard-resume");
        Outcome first = segment(0, window * WINDOW, dir, false, false, ResumeKit::sgd);
        GuardCheckpoint saved = first.state();
        assertNotEquals(saved.scalerState().scale(), 1024f, "the scale changed before the save");
        assertEquals(
                saved.scalerState(),
                window == 10 ? new LossScalerState(2048f, 2, 0) : new LossScalerState(4096f, 0, 1),
                "by hand: 1024, x2 after clean windows 0-2, x0.5 after overflows 3+4, x2 after"
                        + " clean 5-7 (2048), tracker 2 after 8-9; x2 after 10 (4096), window 11"
                        + " is one overflow of two");
        Outcome second =
                segment(window * WINDOW, total(), dir, loadStateFirst, true, ResumeKit::sgd);

        ClippingEndToEndKit.assertBitIdentical(second.weights(), whole.weights());
        assertEquals(second.reports(), whole.reports().subList(window, whole.reports().size()));
        assertEquals(second.state(), whole.state());
        assertTrue(whole.state().statistics().clippedSteps() > 0, "clipping must fire");
        assertEquals(whole.state().statistics().skippedSteps(), FAULT_WINDOWS.size());
        deleteAll(dir);
    }

    @Test
    public void withoutTheStateTheResumedRunDiffers() throws IOException {
        Outcome whole = segment(0, total(), null, false, false, ResumeKit::sgd);
        Path dir = Files.createTempDirectory("gradguard-resume");
        segment(0, 12 * WINDOW, dir, false, false, ResumeKit::sgd);
        Outcome second = segment(12 * WINDOW, total(), dir, false, false, ResumeKit::sgd);
        List<StepReport> expected = whole.reports().subList(12, whole.reports().size());
        // Same weights (power-of-two scales do not change fp32 gradients), but the scale history
        // and the counters are lost: the test above would notice.
        ClippingEndToEndKit.assertBitIdentical(second.weights(), whole.weights());
        assertNotEquals(
                second.reports().stream().map(StepReport::lossScale).toList(),
                expected.stream().map(StepReport::lossScale).toList());
        assertNotEquals(second.state(), whole.state());
        deleteAll(dir);
    }

    @Test
    public void adamResumesExactlyFromItsSavedState() throws IOException {
        // DJL's model.save writes parameters only; Adam's moments and update counts live in
        // private fields of the optimizer, which saveState writes to its optimizer file (see
        // OptimizerResumeKit for a resume without that file).
        Outcome whole = segment(0, total(), null, false, false, ResumeKit::adam);
        Path dir = Files.createTempDirectory("gradguard-resume");
        segment(0, 10 * WINDOW, dir, false, false, ResumeKit::adam);
        Outcome second = segment(10 * WINDOW, total(), dir, false, true, ResumeKit::adam);
        ClippingEndToEndKit.assertBitIdentical(second.weights(), whole.weights());
        assertEquals(second.state().step(), whole.state().step());
        assertEquals(second.state().epoch(), whole.state().epoch());
        // By hand: 48 micro-batches in windows of 2 are 24 optimizer steps; the injected loss
        // overflows windows 3, 4, 11 and 12, and nothing else can overflow in float32 (the scale
        // never exceeds 2^14: 1024 -> 2048 after 0-2, 1024 after 3-4, 2048 after 5-7, 4096 after
        // 8-10, 2048 after 11-12, then x2 after every 3 clean windows up to 16384 after 19-21).
        // So 4 skips in the whole run, and 2 before the save at window 10 plus 2 after the resume.
        assertEquals(whole.state().step(), 24L);
        assertEquals(whole.state().statistics().skippedSteps(), FAULT_WINDOWS.size());
        assertEquals(second.state().statistics().skippedSteps(), FAULT_WINDOWS.size());
        assertEquals(second.reports().stream().filter(StepReport::skipped).count(), 2L);
        deleteAll(dir);
    }

    @Test
    public void savingInsideAWindowOrBeforeTheStepIsRefused() throws IOException {
        ClippingTrainingListener guard = guard(new ArrayList<>());
        Path dir = Files.createTempDirectory("gradguard-resume");
        try (TinyRegression problem = new TinyRegression(engineName(), 51);
                Trainer trainer =
                        problem.newTrainer(
                                GradGuard.trainingConfig(InjectingLoss.overflowing(), sgd(), guard),
                                51);
                NDManager manager = trainer.getManager().newSubManager()) {
            List<Batch> micro = problem.explicitBatches(manager, MICRO, 1);
            GuardedTraining.trainBatch(trainer, micro.get(0));
            GuardedTraining.step(trainer, guard);
            IllegalStateException inside =
                    expectThrows(IllegalStateException.class, () -> guard.saveState(dir, "x"));
            assertTrue(inside.getMessage().contains("micro-batch 1 of 2"), inside.getMessage());
            GuardedTraining.trainBatch(trainer, micro.get(1));
            IllegalStateException pending =
                    expectThrows(IllegalStateException.class, () -> guard.saveState(dir, "x"));
            assertTrue(pending.getMessage().contains("trainer.step()"), pending.getMessage());
            GuardedTraining.step(trainer, guard);
            Path file = guard.saveState(dir, "x");
            assertTrue(Files.isRegularFile(file));
            // Restoring is refused inside a window too: it would mix two states.
            GuardedTraining.trainBatch(trainer, micro.get(2));
            GuardedTraining.step(trainer, guard);
            expectThrows(IllegalStateException.class, () -> guard.loadState(dir, "x"));
        }
        deleteAll(dir);
    }

    static void deleteAll(Path dir) throws IOException {
        try (var files = Files.list(dir)) {
            for (Path p : files.toList()) {
                Files.delete(p);
            }
        }
        Files.delete(dir);
    }
}
