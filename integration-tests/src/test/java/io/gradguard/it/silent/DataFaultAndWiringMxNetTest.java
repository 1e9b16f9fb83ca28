package io.gradguard.it.silent;

/** {@link DataFaultAndWiringKit} on the MXNet engine. */
public class DataFaultAndWiringMxNetTest extends DataFaultAndWiringKit {

    @Override
    protected String engineName() {
        return "MXNet";
    }
}
