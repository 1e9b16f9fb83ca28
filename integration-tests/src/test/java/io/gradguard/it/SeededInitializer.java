package io.gradguard.it;

import ai.djl.training.initializer.Initializer;
import java.util.Random;

/**
 * Deterministic initial weights for tests: normal values times a standard deviation, drawn from one
 * seeded {@link Random} in the order DJL initializes the parameters. Install it on the training
 * configuration and the block before the trainer exists: MXNet's parameter server keeps its own
 * copy of the weights from initialization time, so weights set after {@code initialize()} would not
 * reach it.
 */
public final class SeededInitializer {

    private SeededInitializer() {}

    /**
     * Returns an initializer drawing {@code N(0, std^2)} values from {@code new Random(seed * 31 +
     * 7)}.
     *
     * @param seed the seed
     * @param std the standard deviation
     * @return the initializer
     */
    public static Initializer gaussian(long seed, double std) {
        Random random = new Random(seed * 31 + 7);
        return (manager, shape, dataType) -> {
            float[] values = new float[(int) shape.size()];
            for (int i = 0; i < values.length; i++) {
                values[i] = (float) (random.nextGaussian() * std);
            }
            return manager.create(values, shape).toType(dataType, false);
        };
    }
}
