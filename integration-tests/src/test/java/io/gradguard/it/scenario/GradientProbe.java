package io.gradguard.it.scenario;

import ai.djl.ndarray.NDArray;
import ai.djl.nn.Parameter;
import ai.djl.training.Trainer;
import ai.djl.training.listener.TrainingListenerAdapter;
import ai.djl.util.Pair;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads to the host, at the last micro-batch of each window and before the guard runs, the
 * accumulated (still scaled, not yet averaged) gradient of every distinct parameter that requires a
 * gradient: the ones the optimizer will update at this step. A tied parameter is read once.
 */
final class GradientProbe extends TrainingListenerAdapter {

    /**
     * The gradients of one window, index-aligned with {@link ScenarioModel#distinctParameters()};
     * {@code null} for a frozen parameter.
     */
    record Capture(List<float[]> gradients) {}

    private final ScenarioModel model;
    private boolean lastMicro;
    private Capture capture;

    GradientProbe(ScenarioModel model) {
        this.model = model;
    }

    /** Declares whether the next batch is the last of its window, and forgets the last capture. */
    void expectLast(boolean last) {
        lastMicro = last;
        if (last) {
            capture = null;
        }
    }

    /** Returns the capture of the latest window's last micro-batch, or null if none was taken. */
    Capture capture() {
        return capture;
    }

    @Override
    public void onTrainingBatch(Trainer trainer, BatchData batchData) {
        if (!lastMicro) {
            return;
        }
        List<float[]> gradients = new ArrayList<>();
        for (Pair<String, Parameter> pair : model.distinctParameters()) {
            Parameter parameter = pair.getValue();
            if (!parameter.requiresGradient()) {
                gradients.add(null);
                continue;
            }
            try (NDArray grad = parameter.getArray().getGradient()) {
                gradients.add(grad.toFloatArray());
            }
        }
        capture = new Capture(gradients);
    }
}
