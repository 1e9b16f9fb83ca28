package io.gradguard.pytorch;

/** Reads the count of TorchScript calls made by the fused PyTorch ops, for the call-count tests. */
public final class TorchScriptCallCount {

    private TorchScriptCallCount() {}

    /**
     * Returns how many TorchScript methods the fused PyTorch ops have run in this JVM so far.
     *
     * @return the running count
     */
    public static long soFar() {
        return PtGradientOps.torchScriptCalls();
    }
}
