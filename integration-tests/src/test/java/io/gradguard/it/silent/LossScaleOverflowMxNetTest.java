package io.gradguard.it.silent;

/** {@link LossScaleOverflowKit} on the MXNet engine. */
public class LossScaleOverflowMxNetTest extends LossScaleOverflowKit {

    @Override
    protected String engineName() {
        return "MXNet";
    }
}
