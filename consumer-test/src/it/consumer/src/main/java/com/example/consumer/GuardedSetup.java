package com.example.consumer;

import ai.djl.training.DefaultTrainingConfig;
import ai.djl.training.loss.Loss;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.Tracker;

import io.gradguard.ClippingTrainingListener;
import io.gradguard.GradGuard;
import io.gradguard.clip.ClipStrategy;

/** A user's training setup: global-norm clipping at 1, installed by GradGuard. */
public final class GuardedSetup {

    private GuardedSetup() {}

    /**
     * Builds the guard.
     *
     * @return a listener that clips the global gradient norm to 1
     */
    public static ClippingTrainingListener guard() {
        return ClippingTrainingListener.builder().setStrategy(ClipStrategy.globalNorm(1f)).build();
    }

    /**
     * Builds a training configuration guarded by {@code guard}.
     *
     * @param guard the guard
     * @return an L2-loss, SGD configuration with the guard installed
     */
    public static DefaultTrainingConfig config(ClippingTrainingListener guard) {
        Optimizer sgd = Optimizer.sgd().setLearningRateTracker(Tracker.fixed(0.1f)).build();
        return GradGuard.trainingConfig(Loss.l2Loss(), sgd, guard);
    }
}
