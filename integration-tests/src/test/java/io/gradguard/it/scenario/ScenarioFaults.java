package io.gradguard.it.scenario;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.Parameter;
import ai.djl.training.Trainer;
import ai.djl.training.listener.TrainingListenerAdapter;
import ai.djl.training.loss.Loss;
import ai.djl.util.Pair;
import io.gradguard.it.FlatIndex;
import io.gradguard.it.scenario.ScenarioSpec.PlannedFault;
import io.gradguard.scale.LossScaler;
import java.util.ArrayList;
import java.util.List;

/**
 * Plants the fault armed for the current micro-batch: a loss fault multiplies the loss (inside
 * {@link #wrap}, before the loss scale), a gradient fault sets one element of one trainable
 * parameter's real gradient after backward. Register it before the guard. A finite gradient spike
 * is written as {@code value * S}, so that the true gradient holds {@code value} whatever the
 * scale.
 */
final class ScenarioFaults extends TrainingListenerAdapter {

    private final ScenarioModel model;
    private final LossScaler scaler;
    private PlannedFault armed;
    private boolean lossNonFinite;

    ScenarioFaults(ScenarioModel model, LossScaler scaler) {
        this.model = model;
        this.scaler = scaler;
    }

    /** Returns whether a loss evaluated since the last call was NaN or infinite, and resets. */
    boolean takeLossNonFinite() {
        boolean seen = lossNonFinite;
        lossNonFinite = false;
        return seen;
    }

    /** Arms the fault for the next micro-batch, or disarms with null. */
    void arm(PlannedFault fault) {
        armed = fault;
    }

    Loss wrap(Loss loss) {
        return new Loss(loss.getName()) {
            @Override
            public NDArray evaluate(NDList labels, NDList predictions) {
                NDArray value = loss.evaluate(labels, predictions);
                if (armed != null && armed.target() == PlannedFault.Target.LOSS) {
                    value = value.mul(armed.value());
                }
                // A loss can also become non-finite by itself (weights blown up by an earlier
                // unclipped spike): the host reads it, independently of the guard.
                for (float v : value.toType(DataType.FLOAT32, false).toFloatArray()) {
                    lossNonFinite |= !Float.isFinite(v);
                }
                return value;
            }
        };
    }

    @Override
    public void onTrainingBatch(Trainer trainer, BatchData batchData) {
        if (armed == null || armed.target() != PlannedFault.Target.GRADIENT) {
            return;
        }
        List<Parameter> trainable = new ArrayList<>();
        for (Pair<String, Parameter> pair : model.distinctParameters()) {
            if (pair.getValue().requiresGradient()) {
                trainable.add(pair.getValue());
            }
        }
        NDArray weight = trainable.get(armed.parameter() % trainable.size()).getArray();
        float value = armed.value();
        if (Float.isFinite(value) && scaler.isEnabled()) {
            value *= scaler.scale();
        }
        try (NDArray grad = weight.getGradient()) {
            grad.set(
                    FlatIndex.of(grad.getShape().getShape(), armed.element() % grad.size()), value);
        }
    }
}
