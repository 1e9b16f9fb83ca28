package io.gradguard;

import ai.djl.Device;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.gradguard.internal.DjlOptimizerState;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * The state of a {@link GuardedOptimizer} that DJL's {@code model.save} drops, on the host and
 * keyed by parameter name (DJL's parameter ids differ in every process): the wrapped optimizer's
 * kind, its update counts, its state arrays (Adam's moments, SGD's momentum, ...) and the float32
 * master weights of float16 parameters.
 *
 * @param kind the wrapped optimizer's stable name ({@link DjlOptimizerState#kindOf})
 * @param numUpdate the largest update count so far, the step {@code t} of DJL's optimizers; {@code
 *     >=} every count
 * @param updateCounts update counts by parameter name, each {@code >= 1}; key-sorted, immutable
 * @param arrays the state arrays and master weights, one per slot, parameter and device
 */
record OptimizerState(
        String kind, int numUpdate, Map<String, Integer> updateCounts, List<SavedArray> arrays) {

    /** The slot of the float32 master weights, beside the wrapped optimizer's own slots. */
    static final String MASTER_SLOT = "master";

    /**
     * Validates the state.
     *
     * @throws IllegalArgumentException naming the first value that is out of range
     */
    OptimizerState {
        DjlOptimizerState.slots(Objects.requireNonNull(kind, "kind")); // a supported kind
        if (numUpdate < 0) {
            throw new IllegalArgumentException("numUpdate must be >= 0, got " + numUpdate);
        }
        TreeMap<String, Integer> sorted = new TreeMap<>();
        for (Map.Entry<String, Integer> e : updateCounts.entrySet()) {
            int count = e.getValue();
            if (count < 1 || count > numUpdate) {
                throw new IllegalArgumentException(
                        "the update count of parameter '"
                                + e.getKey()
                                + "' must be in [1, numUpdate "
                                + numUpdate
                                + "], got "
                                + count);
            }
            sorted.put(e.getKey(), count);
        }
        updateCounts = Collections.unmodifiableMap(sorted);
        List<String> slots = DjlOptimizerState.slots(kind);
        for (SavedArray a : arrays) {
            if (!MASTER_SLOT.equals(a.slot()) && !slots.contains(a.slot())) {
                throw new IllegalArgumentException(
                        "slot '"
                                + a.slot()
                                + "' of parameter '"
                                + a.parameter()
                                + "' is not a state of a '"
                                + kind
                                + "' optimizer, whose slots are "
                                + slots);
            }
        }
        arrays = List.copyOf(arrays);
    }

    /**
     * One saved array: its raw bytes in the platform's (little-endian) order, with what is needed
     * to rebuild it.
     *
     * @param slot the optimizer field it belongs to, or {@link #MASTER_SLOT}
     * @param parameter the parameter's name in the block
     * @param device the device it lived on
     * @param dataType its data type
     * @param shape its shape
     * @param data its bytes, {@code shape.size() * dataType.getNumOfBytes()} of them
     */
    record SavedArray(
            String slot,
            String parameter,
            Device device,
            DataType dataType,
            Shape shape,
            byte[] data) {

        /**
         * Validates the array.
         *
         * @throws IllegalArgumentException if the byte count does not fit the shape and data type
         */
        SavedArray {
            Objects.requireNonNull(slot, "slot");
            Objects.requireNonNull(parameter, "parameter");
            Objects.requireNonNull(device, "device");
            Objects.requireNonNull(dataType, "dataType");
            Objects.requireNonNull(shape, "shape");
            long expected = shape.size() * dataType.getNumOfBytes();
            if (data.length != expected) {
                throw new IllegalArgumentException(
                        "slot '"
                                + slot
                                + "' of parameter '"
                                + parameter
                                + "' must hold "
                                + expected
                                + " bytes for "
                                + dataType
                                + shape
                                + ", got "
                                + data.length);
            }
        }
    }
}
