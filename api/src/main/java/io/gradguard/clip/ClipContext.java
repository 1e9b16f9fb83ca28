package io.gradguard.clip;

import ai.djl.ndarray.NDArray;
import io.gradguard.spi.GradientOps;
import java.util.List;
import java.util.Objects;

/**
 * What a {@link ClipStrategy} sees at one optimizer step.
 *
 * <p>The true gradient of parameter {@code i} is {@code gradients.get(i) * multiplier}. The
 * multiplier folds work that would otherwise cost a pass over the gradients into the clip
 * coefficient: {@code 1/n} when {@code n} micro-batches were accumulated. A strategy measures norms
 * in true-gradient units and leaves {@code gradients.get(i) * coefficient * multiplier} in place,
 * so after the step the arrays hold the clipped true gradient.
 *
 * @param ops the engine's multi-tensor operations
 * @param gradients the gradients, in place, all on one device; never empty
 * @param weights the parameter values, index-aligned with {@code gradients} (AGC needs them)
 * @param names the parameter names, index-aligned with {@code gradients}
 * @param multiplier a 0-d float32 array on the gradients' device, or {@code null} for 1
 * @param step the 0-based optimizer step index
 */
public record ClipContext(
        GradientOps ops,
        List<NDArray> gradients,
        List<NDArray> weights,
        List<String> names,
        NDArray multiplier,
        long step) {

    /**
     * Validates the context.
     *
     * @param ops the record component {@code ops}
     * @param gradients the record component {@code gradients}
     * @param weights the record component {@code weights}
     * @param names the record component {@code names}
     * @param multiplier the record component {@code multiplier}
     * @param step the record component {@code step}
     */
    public ClipContext {
        Objects.requireNonNull(ops, "ops");
        Objects.requireNonNull(gradients, "gradients");
        Objects.requireNonNull(weights, "weights");
        Objects.requireNonNull(names, "names");
        if (gradients.isEmpty()) {
            throw new IllegalArgumentException("gradients is empty: nothing to clip");
        }
        if (weights.size() != gradients.size() || names.size() != gradients.size()) {
            throw new IllegalArgumentException(
                    "gradients, weights and names must have the same size, got "
                            + gradients.size()
                            + ", "
                            + weights.size()
                            + ", "
                            + names.size());
        }
        gradients = List.copyOf(gradients);
        weights = List.copyOf(weights);
        names = List.copyOf(names);
    }

    /**
     * Creates a context for gradients alone (no weights, names generated, multiplier 1).
     *
     * @param ops the engine's operations
     * @param gradients the gradients, in place
     * @param step the step index
     * @return the context
     */
    public static ClipContext of(GradientOps ops, List<NDArray> gradients, long step) {
        List<String> names = new java.util.ArrayList<>(gradients.size());
        for (int i = 0; i < gradients.size(); i++) {
            names.add("grad" + i);
        }
        return new ClipContext(ops, gradients, gradients, names, null, step);
    }
}
