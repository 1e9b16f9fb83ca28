package io.gradguard.examples;

/**
 * Where a training run's loss first became NaN or infinite.
 *
 * @param step the 0-based optimizer step whose batch gave the non-finite loss
 * @param epoch the 0-based epoch
 * @param loss the batch loss (NaN or infinite)
 * @param normBefore the pre-clip gradient norm of the step before, NaN when there was none
 * @param largestNormBefore the largest finite gradient norm of all earlier steps, NaN when none
 */
public record Divergence(
        long step, int epoch, float loss, float normBefore, float largestNormBefore) {}
