package io.gradguard.it.misuse;

/** {@link UnfrozenBeforeStepKit} on the PyTorch engine. */
public class UnfrozenBeforeStepPyTorchTest extends UnfrozenBeforeStepKit {

    @Override
    protected String engineName() {
        return "PyTorch";
    }
}
