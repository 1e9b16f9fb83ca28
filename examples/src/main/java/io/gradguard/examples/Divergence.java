package io.gradguard.examples;

/**
 * Where a training run's loss first became NaN or infinite.
 *
 * @param batch the 0-based index of the batch, counted over the whole run
 * @param epoch the 0-based epoch
 * @param batchInEpoch the 0-based index of the batch within its epoch
 * @param loss the batch loss (NaN or infinite)
 * @param normBefore the pre-clip gradient norm of the last optimizer step before that batch, NaN
 *     when there was none
 * @param largestNormBefore the largest finite gradient norm of all optimizer steps before that
 *     batch, NaN when there was none
 */
public record Divergence(
        long batch,
        int epoch,
        long batchInEpoch,
        float loss,
        float normBefore,
        float largestNormBefore) {}
