package io.gradguard.it.silent;

/** {@link TrainableSetKit} on the PyTorch engine. */
public class TrainableSetPyTorchTest extends TrainableSetKit {

    @Override
    protected String engineName() {
        return "PyTorch";
    }
}
