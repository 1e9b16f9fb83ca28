package io.gradguard.testkit;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.training.GradientCollector;
import java.util.function.UnaryOperator;

/**
 * Real backward passes on a single parameter, as a training step runs them, for checks of how an
 * engine writes gradients (accumulation, zeroing, discarding): {@code d/dx sum(x*x) = 2x} and
 * {@code d/dx sum(3x) = 3}.
 */
public final class BackwardPasses {

    private BackwardPasses() {}

    /**
     * Runs one backward pass of {@code loss(x)}.
     *
     * @param engine the engine whose gradient collector to use
     * @param x a parameter that requires a gradient
     * @param loss the scalar loss of {@code x}
     */
    public static void backward(Engine engine, NDArray x, UnaryOperator<NDArray> loss) {
        try (GradientCollector collector = engine.newGradientCollector()) {
            collector.backward(loss.apply(x));
        }
    }

    /**
     * Returns {@code sum(x * x)}, whose gradient is {@code 2x}.
     *
     * @param x the parameter
     * @return the loss
     */
    public static NDArray square(NDArray x) {
        return x.mul(x).sum();
    }

    /**
     * Returns {@code sum(3x)}, whose gradient is 3 everywhere.
     *
     * @param x the parameter
     * @return the loss
     */
    public static NDArray linear(NDArray x) {
        return x.mul(3f).sum();
    }

    /**
     * Reads a parameter's gradient to the host.
     *
     * @param x the parameter
     * @return its gradient's values
     */
    public static float[] gradient(NDArray x) {
        try (NDArray grad = x.getGradient()) {
            return grad.toFloatArray();
        }
    }
}
