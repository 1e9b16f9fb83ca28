package io.gradguard.it;

import io.gradguard.mxnet.MxGradientOps;
import io.gradguard.spi.GradientOps;

/** The {@link GradientOps} contract run on the fused {@link MxGradientOps}, on the MXNet engine. */
public class MxFusedOpsContractTest extends GradientOpsContractKit {

    private final GradientOps ops = new MxGradientOps();

    @Override
    protected GradientOps ops() {
        return ops;
    }

    @Override
    protected String engineName() {
        return "MXNet";
    }
}
