package io.gradguard;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.Parameter;
import ai.djl.training.Trainer;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.util.Pair;
import io.gradguard.OptimizerState.SavedArray;
import io.gradguard.internal.DjlOptimizerState;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Takes an {@link OptimizerState} from a {@link GuardedOptimizer} and puts one back, translating
 * between DJL's per-process parameter ids and the parameters' names in the trainer's block.
 */
final class OptimizerStateTransfer {

    private OptimizerStateTransfer() {}

    /**
     * Copies the optimizer's state to the host.
     *
     * @param trainer the trainer the optimizer updates, or null if none has run yet
     * @throws IllegalStateException if the wrapped optimizer's state cannot be saved (not one of
     *     DJL's supported optimizers, or state for a parameter that the model does not name)
     */
    static OptimizerState capture(GuardedOptimizer optimizer, Trainer trainer) {
        Optimizer delegate = optimizer.getDelegate();
        String kind =
                DjlOptimizerState.kindOf(delegate)
                        .orElseThrow(() -> new IllegalStateException(unsupported(delegate)));
        if (trainer == null
                && !(DjlOptimizerState.updateCounts(delegate).isEmpty()
                        && optimizer.masterWeights().isEmpty())) {
            throw new IllegalStateException(
                    "The guarded trainer was closed, so the optimizer's state can no longer be"
                            + " matched to the model's parameter names; call saveState before the"
                            + " trainer is closed (inside its try-with-resources block).");
        }
        Map<String, String> names = new HashMap<>();
        if (trainer != null) {
            for (Pair<String, Parameter> pair : trainer.getModel().getBlock().getParameters()) {
                names.putIfAbsent(pair.getValue().getId(), pair.getKey());
            }
        }
        Map<String, Integer> counts = new TreeMap<>();
        for (Map.Entry<String, Integer> e : DjlOptimizerState.updateCounts(delegate).entrySet()) {
            counts.put(nameOf(names, e.getKey()), e.getValue());
        }
        List<SavedArray> arrays = new ArrayList<>();
        for (String slot : DjlOptimizerState.slots(kind)) {
            for (Map.Entry<String, Map<Device, NDArray>> perParameter :
                    DjlOptimizerState.slot(delegate, slot).entrySet()) {
                String name = nameOf(names, perParameter.getKey());
                for (Map.Entry<Device, NDArray> e : perParameter.getValue().entrySet()) {
                    arrays.add(saved(slot, name, e.getKey(), e.getValue()));
                }
            }
        }
        for (Map.Entry<String, NDArray> e : optimizer.masterWeights().entrySet()) {
            NDArray master = e.getValue();
            Device device = master.getDevice();
            String key = e.getKey();
            String id =
                    key.substring(
                            0, key.length() - GuardedOptimizer.masterKey("", device).length());
            arrays.add(saved(OptimizerState.MASTER_SLOT, nameOf(names, id), device, master));
        }
        arrays.sort(
                Comparator.comparing(SavedArray::slot)
                        .thenComparing(SavedArray::parameter)
                        .thenComparing(a -> a.device().toString()));
        return new OptimizerState(kind, DjlOptimizerState.numUpdate(delegate), counts, arrays);
    }

    /**
     * Replaces the optimizer's state with {@code state}, all or nothing: every array is checked
     * against the parameter it belongs to and created before anything is replaced. A float32 master
     * held for a float16 parameter that {@code state} has no master for is kept if it rounds to the
     * parameter's current value exactly (set by {@link MixedPrecision#toFloat16} from float32
     * weights loaded before), and dropped otherwise.
     *
     * @param file the file the state was read from, for messages
     * @throws InvalidCheckpointException if the state does not fit the optimizer or the model
     */
    static void apply(
            OptimizerState state, Path file, GuardedOptimizer optimizer, Trainer trainer) {
        Optimizer delegate = optimizer.getDelegate();
        String kind =
                DjlOptimizerState.kindOf(delegate)
                        .orElseThrow(
                                () ->
                                        new InvalidCheckpointException(
                                                file,
                                                "it holds the state of a '"
                                                        + state.kind()
                                                        + "' optimizer, but "
                                                        + unsupported(delegate)));
        if (!kind.equals(state.kind())) {
            throw new InvalidCheckpointException(
                    file,
                    "it holds the state of a '"
                            + state.kind()
                            + "' optimizer, but the trainer's optimizer is '"
                            + kind
                            + "'");
        }
        Map<String, Parameter> byName = parametersByName(trainer, file);
        Map<String, Integer> counts = new HashMap<>();
        state.updateCounts()
                .forEach((name, count) -> counts.put(parameter(byName, name, file).getId(), count));
        List<Device> devices = Arrays.asList(trainer.getDevices());
        Map<String, Map<String, Map<Device, NDArray>>> slots = new HashMap<>();
        Map<String, NDArray> masters = new HashMap<>();
        List<NDArray> created = new ArrayList<>();
        try {
            for (SavedArray a : state.arrays()) {
                Parameter p = parameter(byName, a.parameter(), file);
                check(a, p, devices, file);
                NDArray array = create(trainer.getManager(), a);
                created.add(array);
                if (OptimizerState.MASTER_SLOT.equals(a.slot())) {
                    checkRoundsTo(array, p, a, file);
                    masters.put(GuardedOptimizer.masterKey(p.getId(), a.device()), array);
                } else {
                    slots.computeIfAbsent(a.slot(), s -> new HashMap<>())
                            .computeIfAbsent(p.getId(), id -> new ConcurrentHashMap<>())
                            .put(a.device(), array);
                }
            }
        } catch (RuntimeException e) {
            created.forEach(NDArray::close);
            throw e;
        }
        // Nothing below depends on the file's content: the state is replaced whole.
        for (String slot : DjlOptimizerState.slots(kind)) {
            Map<String, Map<Device, NDArray>> live = DjlOptimizerState.slot(delegate, slot);
            live.clear();
            live.putAll(slots.getOrDefault(slot, Map.of()));
        }
        Map<String, Integer> liveCounts = DjlOptimizerState.updateCounts(delegate);
        liveCounts.clear();
        liveCounts.putAll(counts);
        DjlOptimizerState.setNumUpdate(delegate, state.numUpdate());
        Map<String, NDArray> weights = new HashMap<>();
        for (Parameter p : byName.values()) {
            if (p.isInitialized()) {
                NDArray w = p.getArray();
                weights.put(GuardedOptimizer.masterKey(p.getId(), w.getDevice()), w);
            }
        }
        optimizer.replaceMasterWeights(
                masters, (key, master) -> roundsTo(master, weights.get(key)));
    }

    /**
     * Refuses a master that does not round to its float16 weight: in a float16 run every weight is
     * its master rounded after each update, so the weights were saved by another save (another
     * epoch's params file) or changed since, and the first update would put the master back.
     */
    private static void checkRoundsTo(NDArray master, Parameter p, SavedArray a, Path file) {
        NDArray weight = p.getArray();
        if (weight.getDevice().equals(a.device()) && !roundsTo(master, weight)) {
            throw new InvalidCheckpointException(
                    file,
                    "the float32 master of '"
                            + a.parameter()
                            + "' does not round to the parameter's value, so the model's weights"
                            + " were not saved with this optimizer state (load the params file of"
                            + " the same save, for example model.load(dir, name, Map.of(\"epoch\","
                            + " ...)), or they were changed after loading; the first update would"
                            + " overwrite them with the saved masters");
        }
    }

    /**
     * Returns whether a master held before the load still describes its float16 weight: it rounds
     * to that weight exactly, as a master set by {@link MixedPrecision#toFloat16} after loading
     * float32 weights does. One taken before the weights were loaded over does not.
     */
    private static boolean roundsTo(NDArray master, NDArray weight) {
        if (weight == null
                || weight.getDataType() != DataType.FLOAT16
                || !weight.getShape().equals(master.getShape())) {
            return false;
        }
        try (NDManager scope = weight.getManager().newSubManager()) {
            NDArray half = master.toType(DataType.FLOAT16, true);
            half.attach(scope);
            return Arrays.equals(half.toByteArray(), weight.toByteArray());
        }
    }

    private static String unsupported(Optimizer delegate) {
        return "the trainer's optimizer "
                + delegate.getClass().getName()
                + " keeps state that GradGuard cannot save or restore: only the state of DJL's "
                + DjlOptimizerState.supportedKinds()
                + " optimizers (their exact classes, DJL "
                + DjlOptimizerState.PINNED_DJL_VERSION
                + ") is checkpointed";
    }

    private static String nameOf(Map<String, String> names, String id) {
        String name = names.get(id);
        if (name == null) {
            throw new IllegalStateException(
                    "The optimizer holds state for parameter id "
                            + id
                            + ", which is not a parameter of the guarded trainer's model; its state"
                            + " cannot be saved by name.");
        }
        return name;
    }

    private static SavedArray saved(String slot, String name, Device device, NDArray array) {
        return new SavedArray(
                slot, name, device, array.getDataType(), array.getShape(), array.toByteArray());
    }

    private static Map<String, Parameter> parametersByName(Trainer trainer, Path file) {
        Map<String, Parameter> byName = new HashMap<>();
        for (Pair<String, Parameter> pair : trainer.getModel().getBlock().getParameters()) {
            Parameter previous = byName.put(pair.getKey(), pair.getValue());
            if (previous != null && previous != pair.getValue()) {
                throw new InvalidCheckpointException(
                        file,
                        "the model names two parameters '"
                                + pair.getKey()
                                + "', so state saved by name cannot be matched to them");
            }
        }
        return byName;
    }

    private static Parameter parameter(Map<String, Parameter> byName, String name, Path file) {
        Parameter p = byName.get(name);
        if (p == null) {
            throw new InvalidCheckpointException(
                    file,
                    "it holds optimizer state for parameter '"
                            + name
                            + "', which the model does not have (its parameters: "
                            + new TreeMap<>(byName).keySet()
                            + ")");
        }
        if (!p.isInitialized()) {
            throw new InvalidCheckpointException(
                    file, "parameter '" + name + "' is not initialized; load the model first");
        }
        return p;
    }

    /** Checks an array against its parameter: shape, data type (float32 for float16 ones). */
    private static void check(SavedArray a, Parameter p, List<Device> devices, Path file) {
        NDArray weight = p.getArray();
        String what = "slot '" + a.slot() + "' of parameter '" + a.parameter() + "'";
        if (!a.shape().equals(weight.getShape())) {
            throw new InvalidCheckpointException(
                    file,
                    what + " has shape " + a.shape() + " but the parameter " + weight.getShape());
        }
        boolean master = OptimizerState.MASTER_SLOT.equals(a.slot());
        boolean half = weight.getDataType() == DataType.FLOAT16;
        if (master && !half) {
            throw new InvalidCheckpointException(
                    file,
                    what
                            + " is a float32 master weight, but the parameter is "
                            + weight.getDataType()
                            + ", which keeps none; if the model trains in float16, call"
                            + " MixedPrecision.toFloat16(trainer) before loadState (or before the"
                            + " first batch)");
        }
        DataType expected = half ? DataType.FLOAT32 : weight.getDataType();
        if (a.dataType() != expected) {
            throw new InvalidCheckpointException(
                    file,
                    what
                            + " is "
                            + a.dataType()
                            + " but must be "
                            + expected
                            + " for a "
                            + weight.getDataType()
                            + " parameter");
        }
        if (!devices.contains(a.device())) {
            throw new InvalidCheckpointException(
                    file,
                    what + " was saved on " + a.device() + ", not one of the trainer's " + devices);
        }
    }

    private static NDArray create(NDManager trainerManager, SavedArray a) {
        try (NDManager scope = trainerManager.newSubManager(a.device())) {
            NDArray array = scope.create(ByteBuffer.wrap(a.data()), a.shape(), a.dataType());
            array.detach(); // lives as long as the optimizer, like DJL's own state
            return array;
        }
    }
}
