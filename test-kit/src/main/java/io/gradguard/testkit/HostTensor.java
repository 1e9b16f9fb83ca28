package io.gradguard.testkit;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A tensor held on the host: its shape and its values flattened in row-major order.
 *
 * @param shape the dimensions
 * @param values the elements, row-major; float16 tensors hold their exact float16 values
 */
public record HostTensor(long[] shape, float[] values) {

    /**
     * Creates the tensor in {@code manager} with the given dtype.
     *
     * @param manager the manager that owns the new array
     * @param dataType {@link DataType#FLOAT32} or {@link DataType#FLOAT16}
     * @return a new array
     */
    public NDArray toNDArray(NDManager manager, DataType dataType) {
        NDArray array = manager.create(values, new Shape(shape));
        return dataType == DataType.FLOAT32 ? array : array.toType(dataType, false);
    }

    /**
     * Creates every tensor of {@code tensors} in {@code manager}.
     *
     * @param tensors the host tensors
     * @param manager the manager that owns the new arrays
     * @param dataType the dtype of every new array
     * @return the arrays, in order
     */
    public static List<NDArray> toNDArrays(
            List<HostTensor> tensors, NDManager manager, DataType dataType) {
        List<NDArray> out = new ArrayList<>(tensors.size());
        for (HostTensor t : tensors) {
            out.add(t.toNDArray(manager, dataType));
        }
        return out;
    }

    /**
     * Reads an array back to the host (float16 values widen exactly to float).
     *
     * @param array a float32 or float16 array
     * @return its shape and values
     */
    public static HostTensor of(NDArray array) {
        return new HostTensor(array.getShape().getShape(), array.toFloatArray());
    }

    /**
     * Reads every array back to the host.
     *
     * @param arrays float32 or float16 arrays
     * @return their host copies, in order
     */
    public static List<HostTensor> of(List<NDArray> arrays) {
        List<HostTensor> out = new ArrayList<>(arrays.size());
        for (NDArray a : arrays) {
            out.add(of(a));
        }
        return out;
    }

    /**
     * Concatenates the values of all tensors, widened to double.
     *
     * @param tensors the tensors
     * @return all their values, in order
     */
    public static double[] concat(List<HostTensor> tensors) {
        int n = 0;
        for (HostTensor t : tensors) {
            n += t.values.length;
        }
        double[] out = new double[n];
        int i = 0;
        for (HostTensor t : tensors) {
            for (float v : t.values) {
                out[i++] = v;
            }
        }
        return out;
    }

    @Override
    public String toString() {
        return Arrays.toString(shape) + " x " + values.length;
    }
}
