package io.gradguard.it;

/** Runs {@link BadInputFunctionalKit} on the MXNet engine. */
public class BadInputFunctionalMxNetTest extends BadInputFunctionalKit {

    @Override
    protected String engineName() {
        return "MXNet";
    }

    @Override
    protected String otherEngineName() {
        return "PyTorch";
    }
}
