package io.gradguard.internal;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import ai.djl.training.Trainer;
import ai.djl.util.Pair;
import java.lang.reflect.Field;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;

/**
 * The trainable parameters of a trainer's model and their gradients on every training device.
 *
 * <p>Frozen parameters (those that do not require a gradient) are left out, and a parameter that
 * the block lists under several names (tied weights: one block added twice) is held once, under its
 * first name, as DJL's parameter store updates it once. The set is a snapshot: {@link
 * #isCurrent(Trainer)} tells, on the host alone, whether freezing or unfreezing has changed it
 * since. When the trainer trains on several devices, the gradient that the optimizer will use is
 * the sum over devices (DJL's parameter servers add device {@code i} into device 0); {@link
 * #gather} performs that reduction onto the first device and zeroes the other copies, so that the
 * clipped sum is what the optimizer sees. On one device, the gradient handles are fetched once per
 * snapshot and reused by every {@link #gather} until {@link #releaseHandles()}.
 */
public final class TrainableParameters {

    private final List<String> names;
    private final List<String> ids;
    private final List<Parameter> parameters;
    private final Device[] devices;
    private final ParameterStore store;
    private NDManager handleOwner;
    private List<NDArray> handles;

    private TrainableParameters(
            List<String> names,
            List<Parameter> parameters,
            Device[] devices,
            ParameterStore store) {
        this.names = names;
        this.ids = parameters.stream().map(Parameter::getId).toList();
        this.parameters = parameters;
        this.devices = devices;
        this.store = store;
    }

    /**
     * Collects the trainable parameters of the trainer's model. Call after the model has been
     * initialized (at the first training batch, not in {@code onTrainingBegin}).
     *
     * @param trainer the trainer
     * @return the parameters
     */
    public static TrainableParameters of(Trainer trainer) {
        List<String> names = new ArrayList<>();
        List<Parameter> params = new ArrayList<>();
        Set<Parameter> seen = Collections.newSetFromMap(new IdentityHashMap<>());
        Set<NDArray> seenArrays = Collections.newSetFromMap(new IdentityHashMap<>());
        for (Pair<String, Parameter> pair : trainer.getModel().getBlock().getParameters()) {
            Parameter parameter = pair.getValue();
            if (isTrainable(parameter)
                    && seen.add(parameter)
                    && seenArrays.add(parameter.getArray())) {
                names.add(pair.getKey());
                params.add(parameter);
            }
        }
        Device[] devices = trainer.getDevices();
        boolean needStore = devices.length > 1;
        for (Parameter p : params) {
            if (!p.getArray().getDevice().equals(devices[0])) {
                needStore = true;
                break;
            }
        }
        ParameterStore store = needStore ? parameterStore(trainer) : null;
        return new TrainableParameters(List.copyOf(names), List.copyOf(params), devices, store);
    }

    /**
     * Returns whether this snapshot still holds exactly the trainable parameters of the trainer's
     * model: no parameter frozen, unfrozen or initialized since. Host-only (no device access),
     * linear in the number of parameters.
     *
     * @param trainer the trainer the snapshot was taken from
     * @return {@code false} if the set has changed and a new snapshot is needed
     */
    public boolean isCurrent(Trainer trainer) {
        int index = 0;
        Set<Parameter> seen = null;
        Set<NDArray> seenArrays = null;
        for (Pair<String, Parameter> pair : trainer.getModel().getBlock().getParameters()) {
            Parameter parameter = pair.getValue();
            if (!isTrainable(parameter)) {
                continue;
            }
            if (index < parameters.size() && parameters.get(index) == parameter) {
                index++;
                continue;
            }
            // Not the next one in order: either a repeated (tied) parameter or a change.
            if (seen == null) {
                seen = Collections.newSetFromMap(new IdentityHashMap<>());
                seenArrays = Collections.newSetFromMap(new IdentityHashMap<>());
                for (Parameter p : parameters) {
                    seen.add(p);
                    seenArrays.add(p.getArray());
                }
            }
            if (!seen.contains(parameter) && !seenArrays.contains(parameter.getArray())) {
                return false;
            }
        }
        return index == parameters.size();
    }

    /**
     * Returns the parameters of this snapshot that are no longer trainable in {@code next}.
     *
     * @param next a newer snapshot
     * @return the parameters that left the set, on every device
     */
    public List<NDArray> valuesLeftIn(TrainableParameters next) {
        Set<Parameter> kept = Collections.newSetFromMap(new IdentityHashMap<>());
        kept.addAll(next.parameters);
        List<NDArray> left = new ArrayList<>();
        for (Parameter p : parameters) {
            if (!kept.contains(p) && p.isInitialized()) {
                for (int d = 0; d < devices.length; d++) {
                    left.add(valueOn(p, d));
                }
            }
        }
        return left;
    }

    /**
     * Returns the parameter ids, index-aligned with {@link #names()}.
     *
     * @return the ids DJL's optimizers receive
     */
    public List<String> ids() {
        return ids;
    }

    private static boolean isTrainable(Parameter parameter) {
        return parameter.requiresGradient() && parameter.isInitialized();
    }

    /**
     * Returns the number of trainable parameters.
     *
     * @return the count
     */
    public int size() {
        return parameters.size();
    }

    /**
     * Returns the trainable parameters' names, as the block reports them.
     *
     * @return the names
     */
    public List<String> names() {
        return names;
    }

    /**
     * Returns the parameter values on the first training device.
     *
     * @return the values, index-aligned with {@link #names()}
     */
    public List<NDArray> primaryValues() {
        List<NDArray> values = new ArrayList<>(parameters.size());
        for (Parameter p : parameters) {
            values.add(valueOn(p, 0));
        }
        return values;
    }

    /**
     * Returns the gradient handles of the first training device, summed over devices, each handle
     * attached to {@code scope} (closing a handle does not free the gradient). Parameters without a
     * gradient buffer are returned as {@code null}.
     *
     * @param scope the step's manager; the handles and the transfer copies die with it
     * @param zeroOthers an action that zeroes the other devices' gradients after the reduction
     * @return the gradients, index-aligned with {@link #names()}
     */
    public List<NDArray> gather(NDManager scope, java.util.function.Consumer<NDArray> zeroOthers) {
        if (store == null && devices.length == 1) {
            List<NDArray> cached = cachedHandles();
            if (cached != null) {
                for (NDArray handle : cached) {
                    handle.tempAttach(scope);
                }
                return new ArrayList<>(cached);
            }
        }
        List<NDArray> grads = new ArrayList<>(parameters.size());
        for (Parameter p : parameters) {
            NDArray primary = valueOn(p, 0);
            if (!primary.hasGradient()) {
                grads.add(null);
                continue;
            }
            NDArray grad = primary.getGradient();
            grad.attach(scope);
            for (int d = 1; d < devices.length; d++) {
                NDArray other = valueOn(p, d).getGradient();
                other.attach(scope);
                NDArray moved = other.toDevice(devices[0], true);
                moved.attach(scope);
                grad.addi(moved);
                zeroOthers.accept(other);
            }
            grads.add(grad);
        }
        return grads;
    }

    /**
     * Returns the gradient handles of a single-device snapshot, fetched once and kept in a manager
     * of their own until {@link #releaseHandles()}: the engines accumulate into a gradient buffer
     * in place, so a handle stays valid while the snapshot is current. Returns {@code null}, and
     * caches nothing, while some parameter has no gradient buffer yet.
     */
    private List<NDArray> cachedHandles() {
        if (handles != null) {
            return handles;
        }
        for (Parameter p : parameters) {
            if (!p.getArray().hasGradient()) {
                return null;
            }
        }
        NDManager owner = parameters.get(0).getArray().getManager().newSubManager();
        owner.setName("gradguard-gradient-handles");
        List<NDArray> fetched = new ArrayList<>(parameters.size());
        for (Parameter p : parameters) {
            NDArray grad = p.getArray().getGradient();
            grad.attach(owner);
            fetched.add(grad);
        }
        handleOwner = owner;
        handles = List.copyOf(fetched);
        return handles;
    }

    /**
     * Frees the gradient handles that {@link #gather} keeps between steps (the gradients themselves
     * stay). Call when this snapshot is replaced or the guard stops; a later {@link #gather}
     * fetches them again.
     */
    public void releaseHandles() {
        if (handleOwner != null) {
            handleOwner.close();
            handleOwner = null;
            handles = null;
        }
    }

    /**
     * Returns the parameter values on every training device.
     *
     * @return the values, device by device for each parameter
     */
    public List<NDArray> allValues() {
        List<NDArray> values = new ArrayList<>(parameters.size() * devices.length);
        for (Parameter p : parameters) {
            for (int d = 0; d < devices.length; d++) {
                values.add(valueOn(p, d));
            }
        }
        return values;
    }

    /**
     * Returns each parameter's values on every training device, keyed by {@link Parameter#getId()},
     * the id DJL's optimizers receive.
     *
     * @return the map
     */
    public java.util.Map<String, List<NDArray>> arraysById() {
        java.util.Map<String, List<NDArray>> map = new java.util.HashMap<>();
        for (Parameter p : parameters) {
            List<NDArray> arrays = new ArrayList<>(devices.length);
            for (int d = 0; d < devices.length; d++) {
                arrays.add(valueOn(p, d));
            }
            map.put(p.getId(), arrays);
        }
        return map;
    }

    private NDArray valueOn(Parameter p, int deviceIndex) {
        if (store == null) {
            return p.getArray();
        }
        return store.getValue(p, devices[deviceIndex], true);
    }

    /**
     * Returns the trainer's parameter store, which holds each parameter's copy on every training
     * device. DJL keeps it private; it is read through reflection.
     *
     * @param trainer the trainer
     * @return its parameter store
     * @throws IllegalStateException if this DJL version does not allow the access
     */
    public static ParameterStore parameterStore(Trainer trainer) {
        try {
            Field field = Trainer.class.getDeclaredField("parameterStore");
            field.setAccessible(true);
            return (ParameterStore) field.get(trainer);
        } catch (ReflectiveOperationException | RuntimeException e) {
            throw new IllegalStateException(
                    "Training on "
                            + trainer.getDevices().length
                            + " devices needs access to the trainer's per-device gradients, which"
                            + " this DJL version does not allow: "
                            + e,
                    e);
        }
    }
}
