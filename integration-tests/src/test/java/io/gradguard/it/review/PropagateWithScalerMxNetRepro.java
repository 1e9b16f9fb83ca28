package io.gradguard.it.review;

/** {@link PropagateWithScalerKit} on the MXNet engine. */
public class PropagateWithScalerMxNetRepro extends PropagateWithScalerKit {

    @Override
    protected String engineName() {
        return "MXNet";
    }
}
