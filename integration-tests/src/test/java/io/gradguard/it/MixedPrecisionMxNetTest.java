package io.gradguard.it;

/** Runs {@link MixedPrecisionKit} on the MXNet engine. */
public class MixedPrecisionMxNetTest extends MixedPrecisionKit {

    @Override
    protected String engineName() {
        return "MXNet";
    }
}
