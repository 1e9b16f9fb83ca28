package io.gradguard;

import ai.djl.ndarray.NDArray;
import io.gradguard.spi.GradientOps;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The decision a {@link ClippingTrainingListener} passes to its {@link GuardedOptimizer} for the
 * coming {@code Trainer.step()}, and what the optimizer needs to act on it.
 */
final class StepGate {

    /** What the optimizer does at the next step. */
    enum Decision {
        /** Update the weights. */
        APPLY,
        /** Leave weights and optimizer state untouched; zero the gradients. */
        SKIP,
        /** Leave everything untouched and keep the gradients (an accumulation micro-step). */
        HOLD
    }

    private Decision decision = Decision.APPLY;
    private Map<String, List<NDArray>> parameterArrays = Map.of();
    private GradientOps ops = GradientOps.generic();
    private boolean zeroAfterApply;
    private boolean optimizerAttached;
    private long updateCalls;
    private final Set<String> zeroedThisStep = new HashSet<>();

    Decision decision() {
        return decision;
    }

    void decide(Decision next) {
        decision = next;
        zeroedThisStep.clear();
    }

    void bind(Map<String, List<NDArray>> arrays, GradientOps gradientOps, boolean zeroAfter) {
        parameterArrays = Map.copyOf(arrays);
        ops = gradientOps;
        zeroAfterApply = zeroAfter;
    }

    boolean zeroAfterApply() {
        return zeroAfterApply;
    }

    void attachOptimizer() {
        optimizerAttached = true;
    }

    boolean optimizerAttached() {
        return optimizerAttached;
    }

    void countUpdate() {
        updateCalls++;
    }

    long updateCalls() {
        return updateCalls;
    }

    /**
     * Zeroes, NaN-safely and once per step, the real gradients of a parameter on every device.
     * {@code fallback} is used when the parameter is unknown (its array is the real one, as with
     * DJL's local parameter server).
     */
    void zeroGradients(String parameterId, NDArray fallback) {
        if (!zeroedThisStep.add(parameterId)) {
            return;
        }
        List<NDArray> arrays = parameterArrays.get(parameterId);
        if (arrays == null) {
            arrays = List.of(fallback);
        }
        for (NDArray array : arrays) {
            if (array.hasGradient()) {
                try (NDArray grad = array.getGradient()) {
                    ops.zeroInPlace(List.of(grad));
                }
            }
        }
    }
}
