package io.gradguard.pytorch;

import io.gradguard.spi.GradientOps;
import io.gradguard.testkit.GradientOpsContractKit;

/** The {@link GradientOps} contract for the fused TorchScript implementation on PyTorch. */
public class PtFusedOpsContractTest extends GradientOpsContractKit {

    private static final GradientOps OPS = PtGradientOps.load();

    @Override
    protected GradientOps ops() {
        return OPS;
    }

    @Override
    protected String engineName() {
        return "PyTorch";
    }
}
