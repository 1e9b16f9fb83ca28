package io.gradguard;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.gradguard.spi.GradientOps;
import java.util.ArrayList;
import java.util.List;

/**
 * A running sum of gradients for engines whose backward overwrites gradients and whose {@link
 * GradientOps#prepareAccumulation} cannot make it accumulate. Costs one extra pass per micro-step;
 * allocated once and reused.
 */
final class AccumulationBuffer implements AutoCloseable {

    private final NDManager manager;
    private final GradientOps ops;
    private List<NDArray> sums;

    AccumulationBuffer(NDManager parent, GradientOps ops) {
        this.manager = parent.newSubManager();
        this.manager.setName("gradguard-accumulation");
        this.ops = ops;
    }

    /** Adds the current gradients into the running sum. */
    void add(List<NDArray> grads) {
        if (sums == null) {
            sums = new ArrayList<>(grads.size());
            for (NDArray g : grads) {
                NDArray zero = g.zerosLike();
                zero.attach(manager);
                sums.add(zero);
            }
        }
        for (int i = 0; i < grads.size(); i++) {
            sums.get(i).addi(grads.get(i));
        }
    }

    /** Adds the running sum into the gradients and clears the sum. */
    void drainInto(List<NDArray> grads) {
        if (sums == null) {
            return;
        }
        for (int i = 0; i < grads.size(); i++) {
            grads.get(i).addi(sums.get(i));
        }
        ops.zeroInPlace(sums);
    }

    @Override
    public void close() {
        manager.close();
    }
}
