package io.gradguard.it.silent;

/** {@link DataFaultAndWiringKit} on the PyTorch engine. */
public class DataFaultAndWiringPyTorchTest extends DataFaultAndWiringKit {

    @Override
    protected String engineName() {
        return "PyTorch";
    }
}
