package io.gradguard.it.order;

/** {@link StepOrderKit} on the PyTorch engine. */
public class StepOrderPyTorchTest extends StepOrderKit {

    @Override
    protected String engineName() {
        return "PyTorch";
    }
}
