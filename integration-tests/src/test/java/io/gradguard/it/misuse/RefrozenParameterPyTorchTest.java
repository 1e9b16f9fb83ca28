package io.gradguard.it.misuse;

/** {@link RefrozenParameterKit} on the PyTorch engine. */
public class RefrozenParameterPyTorchTest extends RefrozenParameterKit {

    @Override
    protected String engineName() {
        return "PyTorch";
    }
}
