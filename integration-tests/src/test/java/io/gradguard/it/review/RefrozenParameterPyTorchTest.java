package io.gradguard.it.review;

/** {@link RefrozenParameterKit} on the PyTorch engine. */
public class RefrozenParameterPyTorchTest extends RefrozenParameterKit {

    @Override
    protected String engineName() {
        return "PyTorch";
    }
}
