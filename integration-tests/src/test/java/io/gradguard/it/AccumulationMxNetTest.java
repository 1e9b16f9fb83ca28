package io.gradguard.it;

/** Runs {@link AccumulationKit} on the MXNet engine. */
public class AccumulationMxNetTest extends AccumulationKit {

    @Override
    protected String engineName() {
        return "MXNet";
    }
}
