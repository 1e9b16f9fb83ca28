package io.gradguard.it;

import ai.djl.ndarray.types.DataType;

/** Runs {@link OptimizerResumeKit} on the MXNet engine in float32. */
public class OptimizerResumeMxNetTest extends OptimizerResumeKit {

    @Override
    protected String engineName() {
        return "MXNet";
    }

    @Override
    protected DataType dataType() {
        return DataType.FLOAT32;
    }
}
