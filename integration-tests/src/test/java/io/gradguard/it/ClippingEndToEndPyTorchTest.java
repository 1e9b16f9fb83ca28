package io.gradguard.it;

/** Runs {@link ClippingEndToEndKit} on the PyTorch engine. */
public class ClippingEndToEndPyTorchTest extends ClippingEndToEndKit {

    @Override
    protected String engineName() {
        return "PyTorch";
    }
}
