package io.gradguard.it;

/** Runs {@link FaultInjectionKit} on the PyTorch engine. */
public class FaultInjectionPyTorchTest extends FaultInjectionKit {

    @Override
    protected String engineName() {
        return "PyTorch";
    }
}
