package io.gradguard.it.order;

/** {@link StepOrderKit} on the MXNet engine. */
public class StepOrderMxNetTest extends StepOrderKit {

    @Override
    protected String engineName() {
        return "MXNet";
    }
}
