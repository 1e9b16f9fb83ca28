package io.gradguard.it;

/** Runs {@link ClippingEndToEndKit} on the MXNet engine. */
public class ClippingEndToEndMxNetTest extends ClippingEndToEndKit {

    @Override
    protected String engineName() {
        return "MXNet";
    }
}
