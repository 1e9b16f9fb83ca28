package io.gradguard.it;

/** Runs {@link MixedPrecisionKit} on the PyTorch engine. */
public class MixedPrecisionPyTorchTest extends MixedPrecisionKit {

    @Override
    protected String engineName() {
        return "PyTorch";
    }
}
