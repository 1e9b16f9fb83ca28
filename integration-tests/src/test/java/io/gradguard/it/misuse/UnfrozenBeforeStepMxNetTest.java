package io.gradguard.it.misuse;

/** {@link UnfrozenBeforeStepKit} on the MXNet engine. */
public class UnfrozenBeforeStepMxNetTest extends UnfrozenBeforeStepKit {

    @Override
    protected String engineName() {
        return "MXNet";
    }
}
