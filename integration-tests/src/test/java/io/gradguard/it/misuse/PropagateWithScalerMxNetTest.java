package io.gradguard.it.misuse;

/** {@link PropagateWithScalerKit} on the MXNet engine. */
public class PropagateWithScalerMxNetTest extends PropagateWithScalerKit {

    @Override
    protected String engineName() {
        return "MXNet";
    }
}
