package io.gradguard.it.silent;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.nn.Parameter;
import ai.djl.training.Trainer;
import ai.djl.training.listener.TrainingListenerAdapter;
import ai.djl.util.Pair;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.Set;

/**
 * A listener registered before the guard: after every backward it reads, on the host, the gradients
 * of every distinct trainable parameter, so that a test can compute the norm the guard must report
 * without GradGuard's code; and, while armed, it writes NaN into one gradient element of a chosen
 * parameter (an overflow with a finite loss).
 */
final class GradientProbe extends TrainingListenerAdapter {

    private double sumOfSquares;
    private Parameter poisonTarget;
    private boolean armed;
    private float poisonValue = Float.NaN;

    /** Arms or disarms the NaN injection into {@code target}'s gradient for the next batch. */
    void poison(Parameter target, boolean arm) {
        this.poisonTarget = target;
        this.armed = arm;
    }

    /** Sets the value written by {@link #poison} (NaN by default). */
    void poisonValue(float value) {
        this.poisonValue = value;
    }

    /**
     * Returns the L2 norm of the gradients read at the last batch, divided by {@code divisor} (the
     * loss scale times the number of micro-batches).
     */
    double norm(double divisor) {
        return Math.sqrt(sumOfSquares) / divisor;
    }

    @Override
    public void onTrainingBatch(Trainer trainer, BatchData batchData) {
        if (armed && poisonTarget != null) {
            try (NDArray grad = poisonTarget.getArray().getGradient()) {
                grad.set(new NDIndex(0), poisonValue);
            }
        }
        Set<Parameter> seen = Collections.newSetFromMap(new IdentityHashMap<>());
        double sum = 0;
        for (Pair<String, Parameter> pair : trainer.getModel().getBlock().getParameters()) {
            Parameter p = pair.getValue();
            if (!p.requiresGradient() || !seen.add(p) || !p.getArray().hasGradient()) {
                continue;
            }
            try (NDArray grad = p.getArray().getGradient()) {
                for (float v :
                        grad.toType(ai.djl.ndarray.types.DataType.FLOAT32, false).toFloatArray()) {
                    sum += (double) v * v;
                }
            }
        }
        sumOfSquares = sum;
    }
}
