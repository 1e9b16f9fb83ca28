package io.gradguard;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import ai.djl.training.Trainer;
import ai.djl.util.Pair;
import io.gradguard.internal.TrainableParameters;
import io.gradguard.spi.GradientOps;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;

/**
 * Puts a float32 model into float16 for guarded mixed-precision training, with float32 master
 * weights that start from the exact float32 values.
 *
 * <p>DJL offers no way to do this for a model loaded from a float32 save: {@code
 * model.setDataType(FLOAT16)} is overwritten by {@code model.load}, and {@code Block.cast(FLOAT16)}
 * is not implemented. {@link #toFloat16(Trainer)} converts every parameter of the trainer's model
 * in place (a DJL block's parameters and a TorchScript {@code PtSymbolBlock}'s alike), and gives
 * the trainer's {@link GuardedOptimizer} a float32 master copy of each parameter taken before the
 * conversion. The first update therefore starts from the checkpoint's float32 values, not from
 * their float16 roundings; without this call a float16 parameter's master is taken from its float16
 * value at its first update.
 *
 * <h2>Recipe</h2>
 *
 * <pre>{@code
 * model.setBlock(backbone);
 * model.load(dir, "backbone");                 // float32 parameters
 * model.setBlock(new SequentialBlock().add(backbone).add(head));
 * ClippingTrainingListener guard = ClippingTrainingListener.builder()
 *         .setStrategy(ClipStrategy.globalNorm(1f))
 *         .optLossScaler(LossScaler.dynamic())
 *         .build();
 * Trainer trainer = model.newTrainer(GradGuard.trainingConfig(loss, Optimizer.adamW()...build(), guard));
 * trainer.initialize(inputShape);              // the head is initialized in float32 too
 * MixedPrecision.toFloat16(trainer);           // every parameter float16, masters exact
 * backbone.freezeParameters(true);             // after newTrainer, which unfreezes a loaded model
 * // feed float16 inputs: DJL does not cast them
 * }</pre>
 *
 * <h2>Contract</h2>
 *
 * <ul>
 *   <li>Call it after {@code trainer.initialize(...)} (every parameter must be initialized) and
 *       before the first training batch.
 *   <li>Every distinct parameter array is converted on every training device, frozen ones too, so
 *       that a parameter unfrozen later also starts from its float32 value. A parameter that the
 *       block lists twice (tied weights) is converted once.
 *   <li>Parameters that are already float16 are left as they are (no master is set for them: it is
 *       taken from the float16 value at the first update); a model that is float16 throughout is a
 *       no-op, and the call returns 0.
 *   <li>The masters hold one float32 copy of every converted parameter, as any mixed-precision
 *       training does. {@link GuardedOptimizer#resyncMasterWeights()} drops them.
 *   <li>The model's declared data type is set to float16, so that blocks initialized later match.
 * </ul>
 *
 * <h2>Engines and known limits</h2>
 *
 * Only the PyTorch engine can train float16 through DJL (MXNet cannot create float16 parameters);
 * the conversion changes each tensor in place ({@code p.data = p.half()}, see the PyTorch engine
 * module), which no engine-neutral DJL call can do. DJL's {@code LSTM} called with its input alone
 * builds float32 zero states, and a float16 LSTM then fails in the engine (a dtype mismatch, or in
 * oneDNN "could not create a primitive descriptor"): call it with {@code new NDList(input, h0,
 * c0)}, where {@code h0} and {@code c0} are float16 zeros of shape {@code (layers × directions,
 * batch, stateSize)}. A float16 model needs float16 inputs.
 */
public final class MixedPrecision {

    private MixedPrecision() {}

    /**
     * Converts every float32 parameter of the trainer's model to float16 in place and sets the
     * float32 masters of the trainer's {@link GuardedOptimizer} to the values before conversion.
     *
     * @param trainer a trainer built with {@link GradGuard#trainingConfig} (or with a {@link
     *     GuardedOptimizer} and its {@link ClippingTrainingListener}), initialized, not trained yet
     * @return the number of parameters converted (0 if all were float16 already)
     * @throws IllegalArgumentException if {@code trainer} is null, if the engine cannot train
     *     float16, or if a parameter is neither float32 nor float16 (named in the message)
     * @throws IllegalStateException if the trainer has no guard with a {@link GuardedOptimizer}, if
     *     a parameter is not initialized, or if the guard already processed a training batch
     */
    public static int toFloat16(Trainer trainer) {
        if (trainer == null) {
            throw new IllegalArgumentException("trainer must not be null");
        }
        GuardedOptimizer optimizer = guardedOptimizerOf(trainer);
        String engine = trainer.getManager().getEngine().getEngineName();
        if (!"PyTorch".equals(engine)) {
            throw new IllegalArgumentException(
                    "MixedPrecision.toFloat16 needs the PyTorch engine, got "
                            + engine
                            + ": DJL cannot train float16 parameters there. Train in float32 on"
                            + " this engine.");
        }
        List<Parameter> converted = float32Parameters(trainer);
        if (converted.isEmpty()) {
            return 0;
        }
        Device[] devices = trainer.getDevices();
        ParameterStore store = needsStore(converted, devices) ? parameterStoreOf(trainer) : null;
        List<NDArray> values = new ArrayList<>();
        List<String> ids = new ArrayList<>();
        for (Parameter p : converted) {
            for (Device device : devices) {
                values.add(store == null ? p.getArray() : store.getValue(p, device, true));
                ids.add(p.getId());
            }
        }
        List<NDArray> masters = new ArrayList<>(values.size());
        try {
            for (NDArray value : values) {
                masters.add(float32Copy(value));
            }
            GradientOps.forEngine(trainer.getManager().getEngine())
                    .castParametersInPlace(values, DataType.FLOAT16);
        } catch (RuntimeException e) {
            masters.forEach(NDArray::close);
            throw e;
        }
        for (int i = 0; i < values.size(); i++) {
            optimizer.seedMaster(ids.get(i), values.get(i).getDevice(), masters.get(i));
        }
        trainer.getModel().setDataType(DataType.FLOAT16);
        return converted.size();
    }

    private static GuardedOptimizer guardedOptimizerOf(Trainer trainer) {
        List<ClippingTrainingListener> guards = GuardChecks.guardsOn(trainer);
        if (guards.size() != 1) {
            throw new IllegalStateException(
                    "MixedPrecision.toFloat16 needs a trainer with one ClippingTrainingListener,"
                            + " found "
                            + guards.size()
                            + ". Build its configuration with GradGuard.trainingConfig(loss,"
                            + " optimizer, listener).");
        }
        ClippingTrainingListener guard = guards.get(0);
        GuardedOptimizer optimizer = guard.gate().optimizer();
        if (optimizer == null) {
            throw new IllegalStateException(GuardChecks.OPTIMIZER_NOT_GUARDED);
        }
        if (guard.batchesSeen() > 0) {
            throw new IllegalStateException(
                    "MixedPrecision.toFloat16 must be called before the first training batch;"
                            + " this trainer's guard has processed "
                            + guard.batchesSeen()
                            + ".");
        }
        return optimizer;
    }

    /** Returns the distinct float32 parameters; refuses uninitialized and other-typed ones. */
    private static List<Parameter> float32Parameters(Trainer trainer) {
        List<Parameter> result = new ArrayList<>();
        Set<NDArray> seen = Collections.newSetFromMap(new IdentityHashMap<>());
        for (Pair<String, Parameter> pair : trainer.getModel().getBlock().getParameters()) {
            Parameter p = pair.getValue();
            if (!p.isInitialized()) {
                throw new IllegalStateException(
                        "Parameter "
                                + pair.getKey()
                                + " is not initialized: call trainer.initialize(inputShapes)"
                                + " before MixedPrecision.toFloat16.");
            }
            DataType type = p.getArray().getDataType();
            if (type == DataType.FLOAT16) {
                continue;
            }
            if (type != DataType.FLOAT32) {
                throw new IllegalArgumentException(
                        "Parameter "
                                + pair.getKey()
                                + " has data type "
                                + type
                                + "; MixedPrecision.toFloat16 converts float32 parameters (and"
                                + " leaves float16 ones).");
            }
            if (seen.add(p.getArray())) {
                result.add(p);
            }
        }
        return result;
    }

    private static boolean needsStore(List<Parameter> parameters, Device[] devices) {
        if (devices.length > 1) {
            return true;
        }
        for (Parameter p : parameters) {
            if (!p.getArray().getDevice().equals(devices[0])) {
                return true;
            }
        }
        return false;
    }

    private static ParameterStore parameterStoreOf(Trainer trainer) {
        return TrainableParameters.parameterStore(trainer);
    }

    /** An independent float32 copy, outside autograd and outside any manager's lifetime. */
    private static NDArray float32Copy(NDArray value) {
        try (NDArray detached = value.stopGradient()) {
            NDArray copy = detached.duplicate();
            copy.detach();
            return copy;
        }
    }
}
