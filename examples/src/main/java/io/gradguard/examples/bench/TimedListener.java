package io.gradguard.examples.bench;

import ai.djl.training.DefaultTrainingConfig;
import ai.djl.training.Trainer;
import ai.djl.training.listener.TrainingListener;
import ai.djl.training.loss.Loss;
import ai.djl.training.optimizer.Optimizer;
import io.gradguard.ClipStatistics;
import io.gradguard.ClippingTrainingListener;
import io.gradguard.GuardedOptimizer;
import io.gradguard.ScaledLoss;
import io.gradguard.clip.ClipStrategy;
import io.gradguard.scale.LossScaler;
import io.gradguard.spi.GradientOps;
import java.util.ArrayList;
import java.util.List;

/**
 * Forwards every callback to a listener and measures the wall time of its {@code onTrainingBatch},
 * where a guard does all of its per-step work. On MXNet, whose operators run asynchronously, the
 * queued backward pass is drained before the clock starts, so that a guard that reads a value is
 * not charged for waiting on backward.
 */
final class TimedListener implements TrainingListener {

    private final ClippingTrainingListener delegate;
    private final TimedOps ops;
    private final List<Long> nanos = new ArrayList<>();
    private final List<Long> opsNanos = new ArrayList<>();
    private ClipStatistics atReset = ClipStatistics.EMPTY;

    /**
     * Wraps a listener.
     *
     * @param delegate the listener to time
     * @param ops the timed ops the listener uses, whose share of each call is recorded
     */
    TimedListener(ClippingTrainingListener delegate, TimedOps ops) {
        this.delegate = delegate;
        this.ops = ops;
    }

    /**
     * Returns a timed {@code globalNorm(maxNorm)} guard, with a dynamic loss scaler when {@code
     * scaled}.
     *
     * @param ops the gradient ops to time
     * @param oneCall whether the timed ops use the one-call global-norm step
     * @param scaled whether the guard scales the loss
     * @param maxNorm the bound; the timers choose one that every timed step exceeds, so that each
     *     step clips as the PyTorch reference does (see {@link #unclippedSinceReset})
     * @return the timed guard
     */
    static TimedListener globalNorm(
            GradientOps ops, boolean oneCall, boolean scaled, float maxNorm) {
        TimedOps timedOps = new TimedOps(ops, oneCall);
        ClippingTrainingListener guard =
                ClippingTrainingListener.builder()
                        .setStrategy(ClipStrategy.globalNorm(maxNorm))
                        .optLossScaler(scaled ? LossScaler.dynamic() : LossScaler.none())
                        .optGradientOps(timedOps)
                        .build();
        return new TimedListener(guard, timedOps);
    }

    /**
     * Returns a training configuration with this timed guard: the full guard (scaled loss and
     * guarded optimizer) when it scales the loss, the listener alone otherwise.
     *
     * @param loss the true loss
     * @param optimizer the optimizer
     * @return the configuration
     */
    DefaultTrainingConfig config(Loss loss, Optimizer optimizer) {
        if (!delegate.getLossScaler().isEnabled()) {
            return new DefaultTrainingConfig(loss)
                    .optOptimizer(optimizer)
                    .addTrainingListeners(this);
        }
        return new DefaultTrainingConfig(new ScaledLoss(loss, delegate.getLossScaler()))
                .optOptimizer(new GuardedOptimizer(optimizer, delegate))
                .addTrainingListeners(this);
    }

    /**
     * Returns the timed guard.
     *
     * @return the guard
     */
    ClippingTrainingListener guard() {
        return delegate;
    }

    /** Forgets the timings so far (after warm-up). */
    void reset() {
        nanos.clear();
        opsNanos.clear();
        atReset = delegate.getStatistics();
    }

    /**
     * Returns how many steps since the last {@link #reset} were applied without clipping. Such a
     * step skips the multiply on the CPU, so it would time less work than the reference, which
     * clips every step.
     *
     * @return the unclipped applied steps since the reset
     */
    long unclippedSinceReset() {
        ClipStatistics now = delegate.getStatistics();
        long steps = now.steps() - atReset.steps();
        long clipped = now.clippedSteps() - atReset.clippedSteps();
        long skipped = now.skippedSteps() - atReset.skippedSteps();
        return steps - clipped - skipped;
    }

    /**
     * Prints a line when some timed steps since the reset were applied without clipping, so that a
     * row timing less work than its reference is never read as a like-for-like figure.
     *
     * @param what the row's name
     */
    void reportUnclipped(String what) {
        long unclipped = unclippedSinceReset();
        if (unclipped > 0) {
            System.out.println(
                    "note: "
                            + unclipped
                            + " timed steps of '"
                            + what
                            + "' were not clipped (no multiply): that row times less work than"
                            + " a reference that clips every step");
        }
    }

    /**
     * Returns the time spent in the guard's {@code GradientOps} per {@code onTrainingBatch}.
     *
     * @return the summary
     */
    Timing opsTiming() {
        return Timing.ofNanos(opsNanos.stream().mapToLong(Long::longValue).toArray());
    }

    /**
     * Returns the timings of the {@code onTrainingBatch} calls since the last reset.
     *
     * @return the summary
     */
    Timing timing() {
        return Timing.ofNanos(nanos.stream().mapToLong(Long::longValue).toArray());
    }

    @Override
    public void onEpoch(Trainer trainer) {
        delegate.onEpoch(trainer);
    }

    @Override
    public void onTrainingBatch(Trainer trainer, BatchData batchData) {
        DeviceSync.drain(trainer.getManager().getEngine().getEngineName());
        ops.drainNanos();
        long start = System.nanoTime();
        delegate.onTrainingBatch(trainer, batchData);
        nanos.add(System.nanoTime() - start);
        opsNanos.add(ops.drainNanos());
    }

    @Override
    public void onValidationBatch(Trainer trainer, BatchData batchData) {
        delegate.onValidationBatch(trainer, batchData);
    }

    @Override
    public void onTrainingBegin(Trainer trainer) {
        delegate.onTrainingBegin(trainer);
    }

    @Override
    public void onTrainingEnd(Trainer trainer) {
        delegate.onTrainingEnd(trainer);
    }
}
