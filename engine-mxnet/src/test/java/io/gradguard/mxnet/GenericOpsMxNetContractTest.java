package io.gradguard.mxnet;

import io.gradguard.spi.GradientOps;
import io.gradguard.testkit.GradientOpsContractKit;

/** The {@link GradientOps} contract for the generic implementation on the MXNet engine. */
public class GenericOpsMxNetContractTest extends GradientOpsContractKit {

    @Override
    protected GradientOps ops() {
        return GradientOps.generic();
    }

    @Override
    protected String engineName() {
        return "MXNet";
    }
}
