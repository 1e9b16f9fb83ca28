package io.gradguard.it;

/** Runs {@link BadInputFunctionalKit} on the PyTorch engine. */
public class BadInputFunctionalPyTorchTest extends BadInputFunctionalKit {

    @Override
    protected String engineName() {
        return "PyTorch";
    }

    @Override
    protected String otherEngineName() {
        return "MXNet";
    }
}
