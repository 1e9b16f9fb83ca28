package io.gradguard.mxnet;

import io.gradguard.spi.GradientOps;
import io.gradguard.testkit.GradientOpsContractKit;

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
