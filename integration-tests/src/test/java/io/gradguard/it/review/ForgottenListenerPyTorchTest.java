package io.gradguard.it.review;

/** {@link ForgottenListenerKit} on the PyTorch engine. */
public class ForgottenListenerPyTorchTest extends ForgottenListenerKit {

    @Override
    protected String engineName() {
        return "PyTorch";
    }
}
