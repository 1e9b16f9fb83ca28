package io.gradguard.it.silent;

/** {@link ScaleAndWiringKit} on the PyTorch engine. */
public class ScaleAndWiringPyTorchTest extends ScaleAndWiringKit {

    @Override
    protected String engineName() {
        return "PyTorch";
    }
}
