package io.gradguard.it;

import io.gradguard.pytorch.PtGradientOps;
import io.gradguard.spi.GradientOps;

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
