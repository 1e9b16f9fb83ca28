package io.gradguard.examples.bench;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.EasyTrain;
import ai.djl.training.Trainer;
import ai.djl.training.dataset.Batch;
import ai.djl.training.loss.Loss;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.Tracker;
import ai.djl.translate.Batchifier;
import io.gradguard.GuardedOptimizer;
import io.gradguard.ScaledLoss;
import io.gradguard.spi.GradientOps;

/**
 * Times the whole guard of a training step on any parameter set: the wall time inside the guard's
 * {@code onTrainingBatch} (a {@link TimedListener}) in steps of a {@link ParameterSetBlock} of the
 * set's shapes, gradients fresh from backward. Two guards run side by side, step by step: {@code
 * globalNorm(1)} alone, and with a dynamic loss scaler, {@link ScaledLoss} and {@link
 * GuardedOptimizer} (the full guarded step: unscale and check, clip, one read). Both use the
 * engine's fused ops and the one-call step. The optimizer is plain SGD, whose cost is not timed.
 */
final class GuardTimer {

    /**
     * The guard's time per step.
     *
     * @param clip the clip guard
     * @param scaled the clip guard with a dynamic loss scaler
     */
    record Result(Timing clip, Timing scaled) {}

    private GuardTimer() {}

    /**
     * Measures both guards, in rounds; after each round {@code betweenRounds} runs (untimed).
     *
     * @param engineName the engine
     * @param set the parameter shapes
     * @param warmup untimed steps of each guard first
     * @param trials timed steps of each guard, at least {@code rounds}
     * @param rounds how many parts the timed steps are split into
     * @param betweenRounds what runs after each round, such as the PyTorch reference
     * @return the timings
     */
    static Result measure(
            String engineName,
            GradientSet set,
            int warmup,
            int trials,
            int rounds,
            Runnable betweenRounds) {
        GradientOps ops = GradientOps.forEngine(Engine.getEngine(engineName));
        TimedListener clip = TimedListener.globalNorm(ops, true, false, 1f);
        TimedListener scaled = TimedListener.globalNorm(ops, true, true, 1f);
        try (NDManager data = NDManager.newBaseManager(Device.cpu(), engineName);
                Model clipModel = model(engineName, set, "clip");
                Model scaledModel = model(engineName, set, "scaled");
                Trainer clipTrainer = clipModel.newTrainer(clip.config(Loss.l2Loss(), sgd()));
                Trainer scaledTrainer =
                        scaledModel.newTrainer(scaled.config(Loss.l2Loss(), sgd()))) {
            Trainer[] trainers = {clipTrainer, scaledTrainer};
            for (Trainer t : trainers) {
                t.initialize(new Shape(1, 1));
            }
            // Every step must clip, as the PyTorch reference does. With all N parameters at 1
            // and x = 0.01, the prediction is 0.01 N, each gradient element (pred - y) * x =
            // 1e-4 N, and the norm 1e-4 N^1.5: 1,488 for the LSTM's 60,481, far above the bound
            // 1, while the scaled loss (2^16 (0.01 N)^2 / 2) stays far from float32's range.
            NDArray x = data.full(new Shape(1, 1), 0.01f);
            NDArray y = data.zeros(new Shape(1, 1));
            for (int i = 0; i < warmup; i++) {
                for (Trainer t : trainers) {
                    step(t, data, x, y);
                }
            }
            clip.reset();
            scaled.reset();
            for (int i = 0; i < trials; i++) {
                // Alternate which guard goes first.
                for (int k = 0; k < trainers.length; k++) {
                    step(trainers[(k + i) % trainers.length], data, x, y);
                }
                if (ClipTimer.endsRound(i, trials, rounds)) {
                    betweenRounds.run();
                }
            }
            clip.reportUnclipped(set.label() + ": whole clip guard");
            scaled.reportUnclipped(set.label() + ": whole guard + loss scaler");
            return new Result(clip.timing(), scaled.timing());
        }
    }

    static Model model(String engineName, GradientSet set, String name) {
        Model model = Model.newInstance("bench-set-" + name, Device.cpu(), engineName);
        model.setBlock(new ParameterSetBlock(set));
        return model;
    }

    /** One training step on copies of {@code (x, y)}, freed with the step's sub-manager. */
    static void step(Trainer trainer, NDManager data, NDArray x, NDArray y) {
        try (NDManager scope = data.newSubManager()) {
            NDArray xCopy = x.duplicate();
            NDArray yCopy = y.duplicate();
            xCopy.attach(scope);
            yCopy.attach(scope);
            Batch batch =
                    new Batch(
                            scope,
                            new NDList(xCopy),
                            new NDList(yCopy),
                            1,
                            Batchifier.STACK,
                            Batchifier.STACK,
                            0,
                            1);
            EasyTrain.trainBatch(trainer, batch);
            trainer.step();
        }
    }

    static Optimizer sgd() {
        return Optimizer.sgd().setLearningRateTracker(Tracker.fixed(1e-3f)).build();
    }
}
