package io.gradguard.it.review;

/** {@link ForgottenListenerKit} on the MXNet engine. */
public class ForgottenListenerMxNetRepro extends ForgottenListenerKit {

    @Override
    protected String engineName() {
        return "MXNet";
    }
}
