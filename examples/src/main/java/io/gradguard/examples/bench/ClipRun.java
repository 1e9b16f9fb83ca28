package io.gradguard.examples.bench;

import ai.djl.ndarray.NDArray;
import java.util.List;

/** One way of clipping a gradient list in place to a global L2 norm; what the benchmark times. */
@FunctionalInterface
public interface ClipRun {

    /**
     * Clips the gradients in place. Temporaries go to the gradients' manager, which the caller
     * scopes and closes.
     *
     * @param grads the gradients, all on one device
     */
    void clip(List<NDArray> grads);
}
