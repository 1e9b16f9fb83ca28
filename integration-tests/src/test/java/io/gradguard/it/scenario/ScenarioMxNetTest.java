package io.gradguard.it.scenario;

/** Runs {@link ScenarioKit} on the MXNet engine. */
public class ScenarioMxNetTest extends ScenarioKit {

    @Override
    protected String engineName() {
        return "MXNet";
    }
}
