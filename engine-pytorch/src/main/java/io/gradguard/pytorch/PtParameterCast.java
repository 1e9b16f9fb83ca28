package io.gradguard.pytorch;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.IValue;
import java.lang.reflect.Field;
import java.util.List;

/**
 * Changes the data type of PyTorch parameter tensors in place, as {@code p.data = p.half()} does in
 * Python: the scripted {@code set_data_} method swaps each tensor's storage and dtype for those of
 * a fresh cast, so that a TorchScript module's own parameters, DJL's {@code Parameter} objects and
 * the trainer's parameter store all keep referring to the same, now converted, tensor.
 *
 * <p>DJL 0.35.1's {@code PtNDArray} caches its data type on first read, and offers no way to
 * refresh it; the cache is cleared here through reflection on its private {@code dataType} field.
 * This ties the class to DJL 0.35.1: a DJL without that field makes every cast fail with an {@link
 * IllegalStateException} that says so, and the engine tests that convert a model fail loudly.
 */
final class PtParameterCast {

    private static final Field DATA_TYPE_CACHE = dataTypeCache();

    private PtParameterCast() {}

    /**
     * Casts the arrays in place.
     *
     * @throws IllegalArgumentException if the list, an array or the type is null, or an array is of
     *     another engine
     */
    static void castInPlace(TorchScriptOps module, List<NDArray> parameters, DataType type) {
        if (parameters == null) {
            throw new IllegalArgumentException("parameters must not be null");
        }
        if (type == null) {
            throw new IllegalArgumentException("type must not be null");
        }
        if (parameters.isEmpty()) {
            return;
        }
        PtNDArray[] arrays = new PtNDArray[parameters.size()];
        for (int i = 0; i < arrays.length; i++) {
            if (!(parameters.get(i) instanceof PtNDArray array)) {
                throw new IllegalArgumentException(
                        "parameters["
                                + i
                                + "] must be a PyTorch engine array, got "
                                + parameters.get(i));
            }
            arrays[i] = array;
        }
        if (DATA_TYPE_CACHE == null) {
            throw new IllegalStateException(
                    "This DJL version's PtNDArray has no dataType field; casting parameters in"
                            + " place needs DJL 0.35.1.");
        }
        PtNDArray[] values = new PtNDArray[arrays.length];
        try {
            for (int i = 0; i < arrays.length; i++) {
                try (NDArray detached = arrays[i].stopGradient()) {
                    values[i] = (PtNDArray) detached.toType(type, true);
                }
            }
            try (IValue params = IValue.listFrom(arrays);
                    IValue data = IValue.listFrom(values)) {
                module.runInPlace(arrays[0].getDevice(), TorchScriptOps.SET_DATA, params, data);
            }
        } finally {
            for (PtNDArray value : values) {
                if (value != null) {
                    value.close(); // the parameter holds the storage now
                }
            }
            for (PtNDArray array : arrays) {
                forgetDataType(array);
            }
        }
    }

    private static void forgetDataType(PtNDArray array) {
        try {
            DATA_TYPE_CACHE.set(array, null);
        } catch (IllegalAccessException e) {
            throw new IllegalStateException("Cannot refresh a PtNDArray's data type: " + e, e);
        }
    }

    private static Field dataTypeCache() {
        try {
            Field field = PtNDArray.class.getDeclaredField("dataType");
            field.setAccessible(true);
            return field;
        } catch (ReflectiveOperationException | RuntimeException e) {
            return null;
        }
    }
}
