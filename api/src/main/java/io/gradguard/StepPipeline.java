package io.gradguard;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import io.gradguard.clip.ClipContext;
import io.gradguard.clip.ClipOutcome;
import io.gradguard.clip.ClipStrategy;
import io.gradguard.internal.GlobalNormBound;
import io.gradguard.internal.TrainableParameters;
import io.gradguard.scale.LossScaler;
import io.gradguard.spi.DeviceScalars;
import io.gradguard.spi.GlobalNormStep;
import io.gradguard.spi.GradientOps;
import java.util.ArrayList;
import java.util.List;

/**
 * The device work of one optimizer step, in the order the listener documents: gather (sum over
 * devices) → unscale and check in one pass → clip with the accumulation divisor folded in. Nothing
 * here reads from the device; {@link #pack()} prepares the one array a caller may read. A
 * global-norm strategy runs all of it in one call ({@link #clipGlobalNorm}).
 */
final class StepPipeline {

    private final NDManager scope;
    private final GradientOps ops;
    private final List<NDArray> grads = new ArrayList<>();
    private final List<NDArray> weights = new ArrayList<>();
    private final List<String> names = new ArrayList<>();
    private final List<String> ids = new ArrayList<>();
    private NDArray flag;
    private NDArray lossFlag;
    private NDArray perTensorFlags;
    private NDArray preClipNorms;
    private ClipOutcome outcome;
    private NDArray packed;
    private boolean checked;

    StepPipeline(NDManager scope, GradientOps ops) {
        this.scope = scope;
        this.ops = ops;
    }

    /** Collects the gradients of the parameters that have one. Returns false if none has. */
    boolean gather(TrainableParameters parameters) {
        List<NDArray> gathered = parameters.gather(scope, g -> ops.zeroInPlace(List.of(g)));
        List<NDArray> values = parameters.primaryValues();
        List<String> parameterIds = parameters.ids();
        for (int i = 0; i < gathered.size(); i++) {
            if (gathered.get(i) != null) {
                grads.add(gathered.get(i));
                weights.add(values.get(i));
                names.add(parameters.names().get(i));
                ids.add(parameterIds.get(i));
            }
        }
        return !grads.isEmpty();
    }

    List<NDArray> gradients() {
        return grads;
    }

    List<String> names() {
        return names;
    }

    List<String> ids() {
        return ids;
    }

    /**
     * Multiplies by 1/S and records the non-finite flag, in one pass. The fused kernels check the
     * scaled values; that is the same as checking the unscaled ones when {@code 1/S <= 1}, since a
     * finite value times a factor of at most 1 stays finite. For {@code S < 1} a finite scaled
     * value can overflow when unscaled, so the unscaled gradients, which the optimizer will use,
     * are checked again.
     */
    void unscaleAndCheck(LossScaler scaler) {
        flag = ops.unscaleAndCheck(grads, scaler.inverseScaleOn(grads.get(0)));
        if (scaler.inverseScale() > 1f) {
            flag = flag.maximum(ops.nonFiniteFlag(grads));
        }
    }

    /** Adds the flag of a non-finite loss in the window, taken from {@code recorder}, if any. */
    void takeLossFlag(LossFaultRecorder recorder) {
        lossFlag = recorder == null ? null : recorder.take(scope);
    }

    /** Records the non-finite flag without changing the gradients. */
    void check() {
        flag = ops.nonFiniteFlag(grads);
    }

    /** Records which parameters hold NaN or infinity, before clipping spreads it. */
    void locateNonFinite() {
        NDList flags = new NDList(grads.size());
        for (NDArray g : grads) {
            flags.add(ops.nonFiniteFlag(List.of(g)));
        }
        perTensorFlags = NDArrays.stack(flags);
    }

    /** Computes the per-parameter pre-clip norms, for observers; stays on the device. */
    void measurePerParameter(int microBatches) {
        NDArray norms = ops.perTensorNorms(grads, 2f);
        preClipNorms = microBatches > 1 ? norms.div(microBatches) : norms;
    }

    NDArray preClipNorms() {
        return preClipNorms;
    }

    /** Applies the strategy; the mean over {@code microBatches} folds into its coefficient. */
    void clip(ClipStrategy strategy, int microBatches, long step) {
        if (grads.isEmpty()) {
            throw new IllegalStateException("clip() before gather(): no gradients");
        }
        NDArray multiplier =
                microBatches > 1 ? DeviceScalars.fp32(grads.get(0), 1f / microBatches) : null;
        outcome = strategy.apply(new ClipContext(ops, grads, weights, names, multiplier, step));
    }

    /**
     * Unscales and checks (with a scaler), or only checks (with {@code check}), clips by the global
     * norm with the mean over {@code microBatches} folded in, and packs, all in one {@link
     * GradientOps#globalNormStep} call: the same values as {@link #unscaleAndCheck}, {@link #clip}
     * with a global-norm strategy and {@link #pack()}.
     */
    void clipGlobalNorm(GlobalNormBound bound, LossScaler scaler, boolean check, int microBatches) {
        if (grads.isEmpty()) {
            throw new IllegalStateException("clipGlobalNorm() before gather(): no gradients");
        }
        NDArray first = grads.get(0);
        boolean scaled = scaler.isEnabled();
        GlobalNormStep step =
                new GlobalNormStep(
                        scaled ? scaler.inverseScaleOn(first) : null,
                        scaled && scaler.inverseScale() > 1f,
                        check,
                        microBatches > 1 ? DeviceScalars.fp32(first, 1f / microBatches) : null,
                        bound.maxNorm(),
                        bound.normType(),
                        lossFlag);
        checked = step.checks();
        packed = ops.globalNormStep(grads, step);
    }

    /** Returns whether the gradients were checked, so that a skip decision can be made. */
    boolean hasFlag() {
        return flag != null || checked;
    }

    /**
     * Returns {@code [norm, coef, clipped, flag, lossFlag, perTensorFlags...]} as one float32
     * array, for one read ({@link StepMeasurement#of} decodes it).
     */
    NDArray pack() {
        if (packed != null) {
            return packed;
        }
        if (outcome == null) {
            throw new IllegalStateException("pack() before clip(): the step has no outcome yet");
        }
        NDArray zero = outcome.clipped().zerosLike();
        NDArray f = flag != null ? flag : zero;
        NDArray l = lossFlag != null ? lossFlag.toType(zero.getDataType(), false) : zero;
        NDArray head =
                NDArrays.stack(
                        new NDList(
                                outcome.totalNorm(),
                                outcome.coefficient(),
                                outcome.clipped(),
                                f.toType(zero.getDataType(), false),
                                l));
        return perTensorFlags == null ? head : head.concat(perTensorFlags);
    }

    /** Returns the names whose flag is set in a packed read (after the five step values). */
    List<String> nonFiniteNames(float[] packed) {
        List<String> bad = new ArrayList<>();
        for (int i = StepMeasurement.SIZE; i < packed.length; i++) {
            if (packed[i] > 0f) {
                bad.add(names.get(i - StepMeasurement.SIZE));
            }
        }
        return bad;
    }
}
