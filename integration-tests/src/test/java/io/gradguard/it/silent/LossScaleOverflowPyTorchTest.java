package io.gradguard.it.silent;

/** {@link LossScaleOverflowKit} on the PyTorch engine. */
public class LossScaleOverflowPyTorchTest extends LossScaleOverflowKit {

    @Override
    protected String engineName() {
        return "PyTorch";
    }
}
