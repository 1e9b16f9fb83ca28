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
import java.util.List;

/**
 * The trainable parameters of a trainer's model and their gradients on every training device.
 *
 * <p>Frozen parameters (those that do not require a gradient) are left out. When the trainer trains
 * on several devices, the gradient that the optimizer will use is the sum over devices (DJL's
 * parameter servers add device {@code i} into device 0); {@link #gather} performs that reduction
 * onto the first device and zeroes the other copies, so that the clipped sum is what the optimizer
 * sees.
 */
public final class TrainableParameters {

    private final List<String> names;
    private final List<Parameter> parameters;
    private final Device[] devices;
    private final ParameterStore store;

    private TrainableParameters(
            List<String> names,
            List<Parameter> parameters,
            Device[] devices,
            ParameterStore store) {
        this.names = names;
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
        for (Pair<String, Parameter> pair : trainer.getModel().getBlock().getParameters()) {
            Parameter parameter = pair.getValue();
            if (parameter.requiresGradient() && parameter.isInitialized()) {
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

    private static ParameterStore parameterStore(Trainer trainer) {
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
