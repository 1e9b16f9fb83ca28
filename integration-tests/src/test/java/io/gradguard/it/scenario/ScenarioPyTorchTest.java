package io.gradguard.it.scenario;

/** Runs {@link ScenarioKit} on the PyTorch engine. */
public class ScenarioPyTorchTest extends ScenarioKit {

    @Override
    protected String engineName() {
        return "PyTorch";
    }
}
