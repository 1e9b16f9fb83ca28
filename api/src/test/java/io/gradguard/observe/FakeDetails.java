package io.gradguard.observe;

import io.gradguard.StepDetails;
import io.gradguard.StepReport;
import java.util.List;

/** A {@link StepDetails} with fixed answers, and report factories, for observer tests. */
final class FakeDetails implements StepDetails {

    private final List<String> names;
    private final float[] norms;
    private final List<?> indices;
    int normReads;

    FakeDetails(List<String> names, float[] norms, List<?> indices) {
        this.names = names;
        this.norms = norms;
        this.indices = indices;
    }

    static FakeDetails none() {
        return new FakeDetails(List.of(), new float[0], List.of());
    }

    @Override
    public List<String> parameterNames() {
        return names;
    }

    @Override
    public float[] parameterNorms() {
        normReads++;
        return norms.clone();
    }

    @Override
    public List<?> datasetIndices() {
        return indices;
    }

    /** An applied, finite step. */
    static StepReport report(long step, int epoch, long batch, float norm, boolean clipped) {
        return new StepReport(
                step, epoch, batch, norm, clipped ? 0.5f : 1f, clipped, 1f, false, false, 1);
    }

    /** A skipped step with a non-finite gradient. */
    static StepReport overflow(long step, int epoch, long batch, float lossScale) {
        return new StepReport(
                step, epoch, batch, Float.NaN, Float.NaN, false, lossScale, true, true, 1);
    }
}
