package io.gradguard.clip;

import ai.djl.ndarray.NDArray;
import java.util.Objects;

/**
 * What a {@link ClipStrategy} did at one step, as 0-d float32 arrays on the gradients' device.
 * Nothing here has been read back to the host; reading costs a device synchronization.
 *
 * @param totalNorm the L2 (or the strategy's p-) norm of the true gradient before clipping
 * @param coefficient the factor applied to the true gradient; 1 when it was left unchanged. For
 *     per-parameter strategies, the smallest factor applied to any parameter; for value clipping
 *     {@code min(1, limit / max|g|)}, the factor that would have bounded the largest element
 * @param clipped 1 if the strategy changed the true gradient, else 0
 */
public record ClipOutcome(NDArray totalNorm, NDArray coefficient, NDArray clipped) {

    /**
     * Validates that no field is null.
     *
     * @param totalNorm the record component {@code totalNorm}
     * @param coefficient the record component {@code coefficient}
     * @param clipped the record component {@code clipped}
     */
    public ClipOutcome {
        Objects.requireNonNull(totalNorm, "totalNorm");
        Objects.requireNonNull(coefficient, "coefficient");
        Objects.requireNonNull(clipped, "clipped");
    }
}
