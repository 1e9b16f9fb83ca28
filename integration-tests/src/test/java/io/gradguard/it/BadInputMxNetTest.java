package io.gradguard.it;

/** Runs {@link BadInputKit} on the MXNet engine. */
public class BadInputMxNetTest extends BadInputKit {

    @Override
    protected String engineName() {
        return "MXNet";
    }
}
