package io.gradguard.observe;

import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * A step whose gradient norm was far above the recent distribution, or non-finite, with what was
 * captured about it.
 *
 * @param step the 0-based optimizer step
 * @param epoch the 0-based epoch
 * @param batchIndex the 0-based batch index within the epoch
 * @param norm the pre-clip total norm
 * @param limit the norm above which the step counted as a spike (NaN for a non-finite spike judged
 *     before the warm-up ended)
 * @param nonFinite whether the gradient held NaN or infinity
 * @param topParameters the parameters with the largest gradient norms, largest first (non-finite
 *     first)
 * @param datasetIndices the dataset indices of the batch's examples; empty when the batch did not
 *     carry them
 */
public record Spike(
        long step,
        int epoch,
        long batchIndex,
        float norm,
        float limit,
        boolean nonFinite,
        List<ParameterNorm> topParameters,
        List<Object> datasetIndices) {

    /**
     * Copies the lists.
     *
     * @param step the record component {@code step}
     * @param epoch the record component {@code epoch}
     * @param batchIndex the record component {@code batchIndex}
     * @param norm the record component {@code norm}
     * @param limit the record component {@code limit}
     * @param nonFinite the record component {@code nonFinite}
     * @param topParameters the record component {@code topParameters}
     * @param datasetIndices the record component {@code datasetIndices}
     */
    public Spike {
        topParameters = List.copyOf(Objects.requireNonNull(topParameters, "topParameters"));
        datasetIndices =
                Collections.unmodifiableList(
                        new java.util.ArrayList<>(
                                Objects.requireNonNull(datasetIndices, "datasetIndices")));
    }

    /**
     * Returns a readable sentence.
     *
     * @return for example {@code "step 512 (epoch 1, batch 12): norm 9120 above 412; top parameters
     *     [fc2_weight=9000, ...]; dataset indices [17, 3]"}
     */
    @Override
    public String toString() {
        return String.format(
                Locale.ROOT,
                "step %d (epoch %d, batch %d): norm %s %s; top parameters %s; dataset indices %s",
                step,
                epoch,
                batchIndex,
                nonFinite ? String.valueOf(norm) : String.format(Locale.ROOT, "%.4g", norm),
                nonFinite ? "(non-finite)" : String.format(Locale.ROOT, "above %.4g", limit),
                topParameters,
                datasetIndices.isEmpty() ? "not carried by the batch" : datasetIndices);
    }
}
