package io.gradguard.it;

/** Runs {@link FaultInjectionKit} on the MXNet engine. */
public class FaultInjectionMxNetTest extends FaultInjectionKit {

    @Override
    protected String engineName() {
        return "MXNet";
    }
}
