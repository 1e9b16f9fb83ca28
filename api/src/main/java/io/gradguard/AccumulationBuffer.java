package io.gradguard;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.gradguard.spi.GradientOps;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A running sum of gradients for engines whose backward overwrites gradients and whose {@link
 * GradientOps#prepareAccumulation} cannot make it accumulate. Costs one extra pass per micro-step;
 * each parameter's sum is allocated once and reused. Sums are kept per parameter id, so that a
 * parameter unfrozen inside a window starts its own sum and one frozen inside a window drops it.
 */
final class AccumulationBuffer implements AutoCloseable {

    private final NDManager manager;
    private final GradientOps ops;
    private final Map<String, NDArray> sums = new HashMap<>();

    AccumulationBuffer(NDManager parent, GradientOps ops) {
        this.manager = parent.newSubManager();
        this.manager.setName("gradguard-accumulation");
        this.ops = ops;
    }

    /** Adds the current gradients into the running sums, index-aligned with {@code ids}. */
    void add(List<String> ids, List<NDArray> grads) {
        for (int i = 0; i < grads.size(); i++) {
            NDArray grad = grads.get(i);
            NDArray sum = sums.get(ids.get(i));
            if (sum == null) {
                sum = grad.zerosLike();
                sum.attach(manager);
                sums.put(ids.get(i), sum);
            }
            sum.addi(grad);
        }
    }

    /** Adds the running sums into the gradients and clears the sums. */
    void drainInto(List<String> ids, List<NDArray> grads) {
        for (int i = 0; i < grads.size(); i++) {
            NDArray sum = sums.get(ids.get(i));
            if (sum != null) {
                grads.get(i).addi(sum);
            }
        }
        if (!sums.isEmpty()) {
            ops.zeroInPlace(List.copyOf(sums.values()));
        }
    }

    /** Drops the sums of parameters that are no longer trained. */
    void retain(List<String> ids) {
        Set<String> kept = new HashSet<>(ids);
        sums.entrySet()
                .removeIf(
                        entry -> {
                            boolean drop = !kept.contains(entry.getKey());
                            if (drop) {
                                entry.getValue().close();
                            }
                            return drop;
                        });
    }

    @Override
    public void close() {
        sums.clear();
        manager.close();
    }
}
