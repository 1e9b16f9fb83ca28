package io.gradguard.it.review;

/** {@link RefrozenParameterKit} on the PyTorch engine. */
public class RefrozenParameterPyTorchRepro extends RefrozenParameterKit {

    @Override
    protected String engineName() {
        return "PyTorch";
    }
}
