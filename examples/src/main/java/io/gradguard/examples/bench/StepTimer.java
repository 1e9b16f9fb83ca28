package io.gradguard.examples.bench;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.DefaultTrainingConfig;
import ai.djl.training.EasyTrain;
import ai.djl.training.Trainer;
import ai.djl.training.dataset.Batch;
import ai.djl.training.loss.Loss;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.translate.Batchifier;
import io.gradguard.ClippingTrainingListener;
import io.gradguard.GuardedOptimizer;
import io.gradguard.ScaledLoss;
import io.gradguard.spi.GradientOps;
import java.util.List;
import java.util.Random;

/**
 * Times full training steps of the churn LSTM ({@link BenchLstm}): forward, loss, backward and
 * {@code Trainer.step()} (Adam) on one fixed batch, three ways side by side, interleaved trial by
 * trial so that drifts of a shared machine hit all three alike:
 *
 * <ol>
 *   <li>plain: no listener;
 *   <li>clip: a {@link ClippingTrainingListener} with {@code globalNorm(1)} in its default report
 *       mode (one read of the packed step values per step);
 *   <li>scaled: the full guarded step, a dynamic loss scaler with {@link ScaledLoss} and {@link
 *       GuardedOptimizer}: unscale and check, clip, one read that decides apply or skip.
 * </ol>
 *
 * The guard's own work is timed inside its {@code onTrainingBatch} by a {@link TimedListener}, and
 * the part of it spent in the engine's {@code GradientOps} by a {@link TimedOps}. Each step runs in
 * a sub-manager of the data closed at its end (as {@code EasyTrain.fit} closes each batch), and
 * ends with the device finished.
 */
final class StepTimer {

    /**
     * A clip bound below the gradient norm of every step of this model on its one repeated batch,
     * whose gradients shrink as the model learns the batch.
     */
    static final float ALWAYS_CLIPPED = 1e-6f;

    /**
     * The measurements of one engine.
     *
     * @param plain steps without a guard
     * @param clip steps with the clipping listener
     * @param scaled steps with the full guard and loss scaling
     * @param clipGuard time inside the clipping listener per step
     * @param scaledGuard time inside the loss-scaling listener per step
     * @param clipOps of {@code clipGuard}, the time in {@code GradientOps} calls
     * @param scaledOps of {@code scaledGuard}, the time in {@code GradientOps} calls
     * @param clipGuardComposed as {@code clipGuard}, the step's device work in separate calls
     * @param scaledGuardComposed as {@code scaledGuard}, the step's device work in separate calls
     */
    record Result(
            Timing plain,
            Timing clip,
            Timing scaled,
            Timing clipGuard,
            Timing scaledGuard,
            Timing clipOps,
            Timing scaledOps,
            Timing clipGuardComposed,
            Timing scaledGuardComposed) {}

    private StepTimer() {}

    /**
     * Measures the three kinds of step.
     *
     * @param engineName the engine
     * @param batchSize sequences per batch
     * @param time events per sequence
     * @param warmup untimed steps of each kind first
     * @param trials timed steps of each kind
     * @return the timings
     */
    static Result measure(String engineName, int batchSize, int time, int warmup, int trials) {
        try (NDManager data = NDManager.newBaseManager(Device.cpu(), engineName);
                Model plainModel = newModel(engineName, "plain");
                Model clipModel = newModel(engineName, "clip");
                Model scaledModel = newModel(engineName, "scaled");
                Model clipComposedModel = newModel(engineName, "clip-composed");
                Model scaledComposedModel = newModel(engineName, "scaled-composed")) {
            NDArray x = events(data, batchSize, time);
            NDArray y = labels(data, batchSize);
            Loss loss = Loss.sigmoidBinaryCrossEntropyLoss();

            GradientOps ops = GradientOps.forEngine(Engine.getEngine(engineName));
            // A bound below every gradient norm of these steps, so that each timed step clips
            // (the PyTorch reference clips every step); Adam's update hardly depends on it.
            float bound = ALWAYS_CLIPPED;
            TimedListener clipTimed = TimedListener.globalNorm(ops, true, false, bound);
            TimedListener scaledTimed = TimedListener.globalNorm(ops, true, true, bound);
            TimedListener clipComposed = TimedListener.globalNorm(ops, false, false, bound);
            TimedListener scaledComposed = TimedListener.globalNorm(ops, false, true, bound);
            DefaultTrainingConfig plainConfig =
                    new DefaultTrainingConfig(loss).optOptimizer(adam());
            Shape input = new Shape(batchSize, time);
            try (Trainer plain = plainModel.newTrainer(plainConfig);
                    Trainer clip = clipModel.newTrainer(clipTimed.config(loss, adam()));
                    Trainer scaled = scaledModel.newTrainer(scaledTimed.config(loss, adam()));
                    Trainer clipC =
                            clipComposedModel.newTrainer(clipComposed.config(loss, adam()));
                    Trainer scaledC =
                            scaledComposedModel.newTrainer(scaledComposed.config(loss, adam()))) {
                Trainer[] trainers = {plain, clip, scaled, clipC, scaledC};
                for (Trainer t : trainers) {
                    t.initialize(input);
                }
                for (int i = 0; i < warmup; i++) {
                    for (Trainer t : trainers) {
                        step(t, data, x, y, batchSize);
                    }
                }
                for (TimedListener t :
                        List.of(clipTimed, scaledTimed, clipComposed, scaledComposed)) {
                    t.reset();
                }
                long[][] nanos = new long[trainers.length][trials];
                for (int i = 0; i < trials; i++) {
                    for (int k = 0; k < trainers.length; k++) {
                        // Start one trainer later each round, so that no kind always follows
                        // the same one.
                        int kind = (k + i) % trainers.length;
                        nanos[kind][i] = step(trainers[kind], data, x, y, batchSize);
                    }
                }
                clipTimed.reportUnclipped("LSTM step: clip guard");
                scaledTimed.reportUnclipped("LSTM step: guard + loss scaler");
                clipComposed.reportUnclipped("LSTM step: clip guard, separate calls");
                scaledComposed.reportUnclipped("LSTM step: guard + loss scaler, separate calls");
                return new Result(
                        Timing.ofNanos(nanos[0]),
                        Timing.ofNanos(nanos[1]),
                        Timing.ofNanos(nanos[2]),
                        clipTimed.timing(),
                        scaledTimed.timing(),
                        clipTimed.opsTiming(),
                        scaledTimed.opsTiming(),
                        clipComposed.timing(),
                        scaledComposed.timing());
            }
        }
    }

    /**
     * Runs and times one full step on a copy of the batch {@code (x, y)}: DJL's {@code Batch} takes
     * ownership of its arrays, and the step's sub-manager frees them with the step.
     */
    static long step(Trainer trainer, NDManager data, NDArray x, NDArray y, int size) {
        NDManager scope = data.newSubManager();
        NDArray xCopy = x.duplicate();
        NDArray yCopy = y.duplicate();
        xCopy.attach(scope);
        yCopy.attach(scope);
        DeviceSync.drain(data.getEngine().getEngineName());
        long start = System.nanoTime();
        try (scope) {
            Batch batch =
                    new Batch(
                            scope,
                            new NDList(xCopy),
                            new NDList(yCopy),
                            size,
                            Batchifier.STACK,
                            Batchifier.STACK,
                            0,
                            1);
            EasyTrain.trainBatch(trainer, batch);
            trainer.step();
            DeviceSync.drain(data.getEngine().getEngineName());
        }
        return System.nanoTime() - start;
    }

    static Model newModel(String engineName, String name) {
        Model model = Model.newInstance("bench-lstm-" + name, Device.cpu(), engineName);
        model.setBlock(BenchLstm.newBlock());
        return model;
    }

    static Optimizer adam() {
        return Optimizer.adam().build();
    }

    /** Event ids in {@code [0, EVENT_TYPES)}, int64, from a fixed seed. */
    static NDArray events(NDManager manager, int batchSize, int time) {
        Random random = new Random(42);
        long[] ids = new long[batchSize * time];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = random.nextInt(BenchLstm.EVENT_TYPES);
        }
        return manager.create(ids, new Shape(batchSize, time));
    }

    /** Alternating 0/1 churn labels, float32, {@code (batch, 1)}. */
    static NDArray labels(NDManager manager, int batchSize) {
        float[] values = new float[batchSize];
        for (int i = 0; i < batchSize; i++) {
            values[i] = i % 2;
        }
        return manager.create(values, new Shape(batchSize, 1));
    }
}
