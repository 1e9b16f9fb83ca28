package io.gradguard.it;

/** Runs {@link GuardedTrainingKit} on the PyTorch engine. */
public class GuardedTrainingPyTorchTest extends GuardedTrainingKit {

    @Override
    protected String engineName() {
        return "PyTorch";
    }
}
