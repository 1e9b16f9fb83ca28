package io.gradguard.it.misuse;

/** {@link ForgottenListenerKit} on the MXNet engine. */
public class ForgottenListenerMxNetTest extends ForgottenListenerKit {

    @Override
    protected boolean refusalReachesCaller() {
        return false;
    }

    @Override
    protected String engineName() {
        return "MXNet";
    }
}
