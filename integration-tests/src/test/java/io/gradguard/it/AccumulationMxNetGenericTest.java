package io.gradguard.it;

import io.gradguard.spi.GradientOps;

/**
 * Runs {@link AccumulationKit} on MXNet with the generic ops, which cannot re-mark gradients for
 * accumulation: the listener's own running sum takes over.
 */
public class AccumulationMxNetGenericTest extends AccumulationKit {

    @Override
    protected String engineName() {
        return "MXNet";
    }

    @Override
    protected GradientOps ops() {
        return GradientOps.generic();
    }
}
