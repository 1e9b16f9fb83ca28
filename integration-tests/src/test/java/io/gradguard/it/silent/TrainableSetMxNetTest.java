package io.gradguard.it.silent;

/** {@link TrainableSetKit} on the MXNet engine. */
public class TrainableSetMxNetTest extends TrainableSetKit {

    @Override
    protected String engineName() {
        return "MXNet";
    }
}
