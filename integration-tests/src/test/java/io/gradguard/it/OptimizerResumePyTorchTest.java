package io.gradguard.it;

import ai.djl.ndarray.types.DataType;

/**
 * Runs {@link OptimizerResumeKit} on the PyTorch engine with float16 parameters: AdamW updates
 * float32 master weights, under dynamic loss scaling.
 */
public class OptimizerResumePyTorchTest extends OptimizerResumeKit {

    @Override
    protected String engineName() {
        return "PyTorch";
    }

    @Override
    protected DataType dataType() {
        return DataType.FLOAT16;
    }
}
