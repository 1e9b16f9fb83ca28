package io.gradguard.it;

import ai.djl.ndarray.types.DataType;
import io.gradguard.ReportMode;

/** Runs {@link LeakKit} on the MXNet engine (float32: DJL cannot train float16 there). */
public class LeakMxNetTest extends LeakKit {

    @Override
    protected String engineName() {
        return "MXNet";
    }

    @Override
    protected DataType dataType(ReportMode mode) {
        return DataType.FLOAT32;
    }
}
