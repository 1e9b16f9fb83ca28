package io.gradguard.it;

/** Runs {@link GuardedTrainingKit} on the MXNet engine. */
public class GuardedTrainingMxNetTest extends GuardedTrainingKit {

    @Override
    protected String engineName() {
        return "MXNet";
    }
}
