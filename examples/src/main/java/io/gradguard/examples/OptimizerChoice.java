package io.gradguard.examples;

import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.Tracker;

/** The optimizers the demo offers, by their command-line names. */
public enum OptimizerChoice {
    /**
     * SGD with momentum 0.9: {@code v <- 0.9 v + g; w <- w - lr v}. Its step is proportional to the
     * gradient, so an unclipped spike moves the weights by {@code lr * ||g||}: the demo's default,
     * where the failure is real.
     */
    SGD("sgd", 0.2f),
    /**
     * AdamW (Loshchilov and Hutter, 2019) with DJL's defaults (betas 0.9/0.999, eps 1e-8, weight
     * decay 0.01). Its step {@code lr m / (sqrt(v) + eps)} is bounded per coordinate (about {@code
     * 3 lr} for one spike), so a finite spike cannot make it overflow: the unguarded run stays
     * finite and the demo says so.
     */
    ADAMW("adamw", 0.02f);

    private final String cliName;
    private final float defaultLearningRate;

    OptimizerChoice(String cliName, float defaultLearningRate) {
        this.cliName = cliName;
        this.defaultLearningRate = defaultLearningRate;
    }

    /**
     * Returns the name used on the command line.
     *
     * @return the name
     */
    public String cliName() {
        return cliName;
    }

    /**
     * Returns the learning rate the demo uses when none is given.
     *
     * @return the learning rate
     */
    public float defaultLearningRate() {
        return defaultLearningRate;
    }

    /**
     * Builds the optimizer with a fixed learning rate.
     *
     * @param learningRate the learning rate, {@code > 0}
     * @return a new optimizer
     */
    public Optimizer build(float learningRate) {
        if (this == SGD) {
            return Optimizer.sgd()
                    .setLearningRateTracker(Tracker.fixed(learningRate))
                    .optMomentum(0.9f)
                    .build();
        }
        return Optimizer.adamW().optLearningRateTracker(Tracker.fixed(learningRate)).build();
    }

    /**
     * Returns the choice with the given command-line name, ignoring case.
     *
     * @param name the name
     * @return the choice
     * @throws IllegalArgumentException if no choice has that name
     */
    public static OptimizerChoice fromCliName(String name) {
        for (OptimizerChoice choice : values()) {
            if (choice.cliName.equalsIgnoreCase(name)) {
                return choice;
            }
        }
        throw new IllegalArgumentException(
                "optimizer must be one of sgd, adamw; got '" + name + "'");
    }
}
