package io.gradguard.it.misuse;

/** {@link ForgottenListenerKit} on the PyTorch engine. */
public class ForgottenListenerPyTorchTest extends ForgottenListenerKit {

    @Override
    protected boolean refusalReachesCaller() {
        return true;
    }

    @Override
    protected String engineName() {
        return "PyTorch";
    }
}
