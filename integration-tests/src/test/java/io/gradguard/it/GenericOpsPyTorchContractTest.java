package io.gradguard.it;

import io.gradguard.spi.GradientOps;

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
}
