package io.gradguard.internal;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.gradguard.spi.GradientOps;
import java.util.List;
import java.util.function.Function;

/** Runs gradient work in a scope that frees every intermediate array. */
public final class GradientScope {

    private GradientScope() {}

    /**
     * Checks the gradients ({@link GradientListCheck}), then runs {@code work} with the engine's
     * ops inside a sub-manager of the first gradient's manager, with the gradients temporarily
     * attached to it, so that every intermediate is freed before returning. The array {@code work}
     * returns, if any, is attached to the first gradient's manager and survives.
     *
     * @param grads the gradients
     * @param work what to do with them
     * @return the array {@code work} returned, or null
     * @throws IllegalArgumentException if the list breaks a rule of {@link GradientListCheck}
     */
    public static NDArray inScope(List<NDArray> grads, Function<GradientOps, NDArray> work) {
        GradientListCheck.check(grads);
        NDManager home = grads.get(0).getManager();
        try (NDManager scope = home.newSubManager()) {
            scope.tempAttachAll(grads.toArray(new NDArray[0]));
            NDArray result = work.apply(GradientOps.forEngine(home.getEngine()));
            if (result != null) {
                result.attach(home);
            }
            return result;
        }
    }
}
