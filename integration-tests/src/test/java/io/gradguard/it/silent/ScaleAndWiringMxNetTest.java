package io.gradguard.it.silent;

/** {@link ScaleAndWiringKit} on the MXNet engine. */
public class ScaleAndWiringMxNetTest extends ScaleAndWiringKit {

    @Override
    protected String engineName() {
        return "MXNet";
    }
}
