package io.gradguard.pytorch;

import io.gradguard.spi.GradientOps;
import io.gradguard.testkit.GradientOpsContractKit;

/** The {@link GradientOps} contract for the generic implementation on the PyTorch engine. */
public class GenericOpsPyTorchContractTest extends GradientOpsContractKit {

    @Override
    protected GradientOps ops() {
        return GradientOps.generic();
    }

    @Override
    protected String engineName() {
        return "PyTorch";
    }

    /**
     * The default {@link GradientOps#discardGradients} zeroes only gradients a parameter still
     * reports, and DJL's PyTorch array reports none once frozen though {@code .grad} is kept: that
     * case needs {@link PtGradientOps}, which this engine's lookup returns.
     */
    @Override
    protected boolean reachesFrozenGradients() {
        return false;
    }
}
