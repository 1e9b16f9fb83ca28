package io.gradguard;

import java.util.List;

/** {@link StepDetails#none()}. */
final class NoStepDetails implements StepDetails {

    static final NoStepDetails INSTANCE = new NoStepDetails();

    private NoStepDetails() {}

    @Override
    public List<String> parameterNames() {
        return List.of();
    }

    @Override
    public float[] parameterNorms() {
        return new float[0];
    }

    @Override
    public List<?> datasetIndices() {
        return List.of();
    }
}
