package io.gradguard.it;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.nn.Parameter;
import ai.djl.training.Trainer;
import ai.djl.training.listener.TrainingListenerAdapter;
import ai.djl.training.loss.Loss;
import ai.djl.util.Pair;
import io.gradguard.scale.LossScaler;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * Test-scope fault injection for any engine: plants the faults of a {@link FaultPlan} into real
 * training. Gradient faults are written with {@code getGradient().set(...)} into the real gradient
 * after backward, by this listener, which must be registered <em>before</em> the guard:
 *
 * <pre>{@code
 * FaultInjector injector = new FaultInjector(plan, scaler);
 * new DefaultTrainingConfig(new ScaledLoss(injector.wrap(loss), scaler))
 *         .optOptimizer(new GuardedOptimizer(optimizer, guard))
 *         .addTrainingListeners(injector, guard);
 * }</pre>
 *
 * Loss faults multiply the loss by NaN or an infinity inside {@link #wrap}. The loop tells the
 * injector which step of the plan comes next with {@link #beginStep(int)}. A finite spike is
 * written as {@code value * S}, so that after the guard unscales by {@code 1/S} the true gradient
 * holds exactly {@code value}, whatever the current loss scale.
 */
final class FaultInjector extends TrainingListenerAdapter {

    private final FaultPlan plan;
    private final LossScaler scaler;
    private final Map<FaultClass, Integer> injected = new EnumMap<>(FaultClass.class);
    private int current = -1;

    FaultInjector(FaultPlan plan, LossScaler scaler) {
        this.plan = plan;
        this.scaler = scaler;
    }

    /** Declares the plan step that the next batch stands for. */
    void beginStep(int step) {
        current = step;
    }

    /** Returns how many faults of each class were planted so far. */
    Map<FaultClass, Integer> injected() {
        return injected;
    }

    /** Wraps a loss so that the plan's loss faults multiply it. */
    Loss wrap(Loss loss) {
        return new Loss(loss.getName()) {
            @Override
            public NDArray evaluate(NDList labels, NDList predictions) {
                NDArray value = loss.evaluate(labels, predictions);
                Fault fault = plan.at(current);
                if (fault == null || fault.type().target() != FaultClass.Target.LOSS) {
                    return value;
                }
                injected.merge(fault.type(), 1, Integer::sum);
                return value.mul(fault.type().value());
            }
        };
    }

    @Override
    public void onTrainingBatch(Trainer trainer, BatchData batchData) {
        Fault fault = plan.at(current);
        if (fault == null || fault.type().target() != FaultClass.Target.GRADIENT) {
            return;
        }
        List<Parameter> trainable = new ArrayList<>();
        for (Pair<String, Parameter> pair : trainer.getModel().getBlock().getParameters()) {
            if (pair.getValue().requiresGradient()) {
                trainable.add(pair.getValue());
            }
        }
        NDArray weight = trainable.get(fault.parameter() % trainable.size()).getArray();
        float value = fault.type().value();
        if (fault.type().isFinite() && scaler.isEnabled()) {
            value *= scaler.scale();
        }
        try (NDArray grad = weight.getGradient()) {
            grad.set(
                    FlatIndex.of(grad.getShape().getShape(), fault.element() % grad.size()), value);
        }
        injected.merge(fault.type(), 1, Integer::sum);
    }
}
