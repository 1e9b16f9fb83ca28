package io.gradguard.it.review;

/** {@link PropagateWithScalerKit} on the MXNet engine. */
public class PropagateWithScalerMxNetTest extends PropagateWithScalerKit {

    @Override
    protected String engineName() {
        return "MXNet";
    }
}
