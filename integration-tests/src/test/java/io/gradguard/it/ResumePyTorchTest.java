package io.gradguard.it;

/** Runs {@link ResumeKit} on the PyTorch engine. */
public class ResumePyTorchTest extends ResumeKit {

    @Override
    protected String engineName() {
        return "PyTorch";
    }
}
