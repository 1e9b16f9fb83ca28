package io.gradguard.it;

/** Runs {@link AccumulationKit} on the PyTorch engine. */
public class AccumulationPyTorchTest extends AccumulationKit {

    @Override
    protected String engineName() {
        return "PyTorch";
    }
}
