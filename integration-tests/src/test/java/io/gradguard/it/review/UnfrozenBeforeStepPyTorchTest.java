package io.gradguard.it.review;

/** {@link UnfrozenBeforeStepKit} on the PyTorch engine. */
public class UnfrozenBeforeStepPyTorchTest extends UnfrozenBeforeStepKit {

    @Override
    protected String engineName() {
        return "PyTorch";
    }
}
