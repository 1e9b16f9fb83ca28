package io.gradguard.pytorch;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.engine.PtNDArray;
import java.util.List;

/**
 * Argument checks for {@link PtGradientOps}, run before any native call. They read only array
 * metadata (class, dtype, element count), never values.
 */
final class PtArguments {

    private PtArguments() {}

    /**
     * Returns the gradients as PyTorch arrays.
     *
     * @throws IllegalArgumentException if the list is null or holds a null or non-PyTorch array
     */
    static PtNDArray[] gradients(List<NDArray> grads) {
        if (grads == null) {
            throw new IllegalArgumentException("grads must not be null");
        }
        PtNDArray[] arrays = new PtNDArray[grads.size()];
        for (int i = 0; i < arrays.length; i++) {
            NDArray grad = grads.get(i);
            if (!(grad instanceof PtNDArray)) {
                throw new IllegalArgumentException(
                        "grads["
                                + i
                                + "] must be a PyTorch engine array, got "
                                + (grad == null ? "null" : grad.getClass().getName()));
            }
            arrays[i] = (PtNDArray) grad;
        }
        return arrays;
    }

    /**
     * Returns the gradients as PyTorch arrays, at least one of them.
     *
     * @throws IllegalArgumentException as {@link #gradients}, or if the list is empty
     */
    static PtNDArray[] nonEmptyGradients(List<NDArray> grads) {
        PtNDArray[] arrays = gradients(grads);
        if (arrays.length == 0) {
            throw new IllegalArgumentException("grads is empty: at least one gradient is needed");
        }
        return arrays;
    }

    /**
     * Returns whether every array is float32 and holds at least one element, read from DJL's cached
     * metadata: then the module reduces all norms in one multi-tensor call instead of looping over
     * the list in the TorchScript interpreter.
     *
     * @param arrays checked gradients
     * @return whether all are non-empty float32 arrays
     */
    static boolean float32Only(PtNDArray[] arrays) {
        for (PtNDArray array : arrays) {
            if (array.getDataType() != DataType.FLOAT32 || array.size() == 0) {
                return false;
            }
        }
        return true;
    }

    /**
     * Returns {@code array} as a 0-d PyTorch array of the given dtype. A one-element array of
     * another shape, such as {@code (1)} or {@code (1, 1)}, is viewed as 0-d (a new view in its
     * manager), so that it acts as a scalar in every method, whatever its value.
     *
     * @throws IllegalArgumentException if it is null, of another engine, dtype or size
     */
    static PtNDArray scalar(NDArray array, String name, DataType dataType) {
        if (!(array instanceof PtNDArray)) {
            throw new IllegalArgumentException(
                    name
                            + " must be a PyTorch engine array, got "
                            + (array == null ? "null" : array.getClass().getName()));
        }
        if (array.getDataType() != dataType || array.size() != 1) {
            throw new IllegalArgumentException(
                    name
                            + " must be a one-element "
                            + dataType
                            + " array, got "
                            + array.getDataType()
                            + " of shape "
                            + array.getShape());
        }
        if (array.getShape().dimension() != 0) {
            return (PtNDArray) array.reshape(new Shape());
        }
        return (PtNDArray) array;
    }
}
