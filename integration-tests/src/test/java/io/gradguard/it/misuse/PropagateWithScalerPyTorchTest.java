package io.gradguard.it.misuse;

/** {@link PropagateWithScalerKit} on the PyTorch engine. */
public class PropagateWithScalerPyTorchTest extends PropagateWithScalerKit {

    @Override
    protected String engineName() {
        return "PyTorch";
    }
}
