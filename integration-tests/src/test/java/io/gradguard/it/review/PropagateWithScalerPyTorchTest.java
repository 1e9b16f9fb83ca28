package io.gradguard.it.review;

/** {@link PropagateWithScalerKit} on the PyTorch engine. */
public class PropagateWithScalerPyTorchTest extends PropagateWithScalerKit {

    @Override
    protected String engineName() {
        return "PyTorch";
    }
}
