package io.gradguard.it;

import ai.djl.ndarray.types.DataType;
import io.gradguard.ReportMode;

/** Runs {@link LeakKit} on the PyTorch engine: float16 (fp32 master weights) with EVERY_STEP. */
public class LeakPyTorchTest extends LeakKit {

    @Override
    protected String engineName() {
        return "PyTorch";
    }

    @Override
    protected DataType dataType(ReportMode mode) {
        return mode == ReportMode.EVERY_STEP ? DataType.FLOAT16 : DataType.FLOAT32;
    }
}
