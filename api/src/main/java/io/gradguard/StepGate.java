package io.gradguard;

import ai.djl.ndarray.NDArray;
import io.gradguard.spi.GradientOps;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The {@link StepDecision} a {@link ClippingTrainingListener} passes to its {@link
 * GuardedOptimizer} for the coming {@code Trainer.step()}, and what the optimizer needs to act on
 * it.
 *
 * <p>A decision is good for one step: DJL's parameter store updates each parameter once per device
 * per step, so the second update of the same parameter on the same device since the listener last
 * decided means that the listener did not process this step (it is not registered on the trainer,
 * or {@code Trainer.step()} ran twice for one batch). {@link #admit} refuses that update, and every
 * update before the listener's first decision.
 */
final class StepGate {

    static final String NOT_PROCESSED =
            "GuardedOptimizer refused to update: its ClippingTrainingListener did not process this"
                    + " step, so the gradients were not unscaled, checked or clipped. Register the"
                    + " listener on the trainer (GradGuard.trainingConfig does it) and call"
                    + " Trainer.step() once per training batch.";

    private StepDecision decision = StepDecision.UNREAD;
    private boolean decided;
    private Map<String, List<NDArray>> parameterArrays = Map.of();
    private GradientOps ops = GradientOps.generic();
    private boolean zeroAfterApply;
    private GuardedOptimizer optimizer;
    private long updateCalls;
    private final Set<String> admittedThisStep = new HashSet<>();
    private final Set<String> zeroedThisStep = new HashSet<>();
    private boolean appliedThisStep;

    StepDecision decision() {
        return decision;
    }

    synchronized void decide(StepDecision next) {
        decision = next;
        decided = true;
        admittedThisStep.clear();
        zeroedThisStep.clear();
        appliedThisStep = false;
    }

    /** Returns true at the first applied update since the listener's last decision, then false. */
    synchronized boolean firstApplyOfStep() {
        boolean first = !appliedThisStep;
        appliedThisStep = true;
        return first;
    }

    /** Returns the ids of the parameters the current decision covers. */
    Set<String> guardedIds() {
        return parameterArrays.keySet();
    }

    /**
     * Admits one optimizer update of a parameter on a device and returns the decision to apply.
     *
     * @throws IllegalStateException if the listener has not decided since this parameter's last
     *     update on this device
     */
    synchronized StepDecision.Action admit(String parameterId, NDArray weight) {
        updateCalls++;
        if (!decided || !admittedThisStep.add(parameterId + '@' + weight.getDevice())) {
            throw new IllegalStateException(NOT_PROCESSED);
        }
        return decision.action();
    }

    void bind(Map<String, List<NDArray>> arrays, GradientOps gradientOps, boolean zeroAfter) {
        parameterArrays = Map.copyOf(arrays);
        ops = gradientOps;
        zeroAfterApply = zeroAfter;
    }

    /** Returns the number of devices each parameter is updated on (1 before binding). */
    int devicesPerParameter() {
        for (List<NDArray> arrays : parameterArrays.values()) {
            return Math.max(1, arrays.size());
        }
        return 1;
    }

    /** Returns whether the listener's current decision covers this parameter. */
    boolean guards(String parameterId) {
        return parameterArrays.containsKey(parameterId);
    }

    boolean zeroAfterApply() {
        return zeroAfterApply;
    }

    void attachOptimizer(GuardedOptimizer attached) {
        optimizer = attached;
    }

    boolean optimizerAttached() {
        return optimizer != null;
    }

    /** Returns the optimizer attached last, or null if none is. */
    GuardedOptimizer optimizer() {
        return optimizer;
    }

    long updateCalls() {
        return updateCalls;
    }

    /**
     * Zeroes, NaN-safely and once per step, the real gradients of a parameter on every device.
     * {@code fallback} is used when the parameter is unknown (its array is the real one, as with
     * DJL's local parameter server).
     */
    synchronized void zeroGradients(String parameterId, NDArray fallback) {
        if (!zeroedThisStep.add(parameterId)) {
            return;
        }
        List<NDArray> arrays = parameterArrays.get(parameterId);
        ops.discardGradients(arrays != null ? arrays : List.of(fallback));
    }
}
