package io.gradguard.mxnet;

import ai.djl.mxnet.engine.MxOpParams;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * MXNet 1.9's multi-tensor operators, wrapped around their limits.
 *
 * <ul>
 *   <li>{@code multi_sum_sq(array_0..n-1, num_arrays)}: one float32 sum of squares per array,
 *       accumulated in float32 but with products taken in the input dtype. Needs one dtype for all
 *       inputs and rejects 0-d arrays; no limit on the count (the GPU kernel chunks itself).
 *   <li>{@code multi_all_finite(array_0..n-1, num_arrays, init_output)}: a float32 array of shape
 *       (1), 1 if every element is finite. Needs one dtype; checks {@code isfinite((float) x)}, so
 *       a float64 value beyond the float32 range counts as infinite. Holds the arrays in a fixed
 *       table of {@value #ALL_FINITE_MAX_ARRAYS} entries with no bounds check: more corrupts memory
 *       and kills the JVM (measured). With {@code init_output=false} it only clears an existing
 *       output, so chunks accumulate into one array.
 *   <li>{@code reset_arrays(array_0..n-1, num_arrays)}: memset to 0 in place (NaN included), any
 *       real dtypes mixed, no outputs, rejects 0-d arrays.
 * </ul>
 */
final class MxMultiTensorKernels {

    /** The size of the array table inside {@code multi_all_finite}. */
    static final int ALL_FINITE_MAX_ARRAYS = 200;

    private final MxInPlaceInvoker inPlace;

    MxMultiTensorKernels(MxInPlaceInvoker inPlace) {
        this.inPlace = inPlace;
    }

    /**
     * Returns the float32 sums of squares of {@code grads}, in order, attached to {@code owner}.
     * Arrays that are not float32 are cast to float32 first (float16 squares overflow above 256 in
     * MXNet's kernel), and 0-d arrays are reshaped to (1).
     *
     * @param owner the manager that receives the result
     * @param grads at least one gradient
     * @return a float32 array of shape (grads.size())
     */
    NDArray sumsOfSquares(NDManager owner, List<NDArray> grads) {
        NDList inputs = new NDList(grads.size());
        NDList temporaries = new NDList();
        for (NDArray grad : grads) {
            NDArray input = grad;
            if (input.getDataType() != DataType.FLOAT32) {
                input = cast(owner, input, DataType.FLOAT32);
                temporaries.add(input);
            }
            if (input.getShape().dimension() == 0) {
                input = reshape(owner, input, new Shape(1));
                temporaries.add(input);
            }
            inputs.add(input);
        }
        try {
            return invoke(owner, "multi_sum_sq", countParam(inputs.size()), inputs);
        } finally {
            temporaries.close();
        }
    }

    /**
     * Returns 1 if every element of every gradient is finite, else 0, as a float32 array of shape
     * (1) attached to {@code owner}. Gradients are grouped by dtype and checked in chunks of at
     * most {@value #ALL_FINITE_MAX_ARRAYS}, all chunks writing into one output. Float64 gradients
     * are checked through {@code g * 0} (0 when finite, NaN otherwise) so that large finite values
     * are not mistaken for infinities.
     *
     * @param owner the manager that receives the result
     * @param grads at least one gradient
     * @return the all-finite indicator
     */
    NDArray allFinite(NDManager owner, List<NDArray> grads) {
        Map<DataType, NDList> byType = new EnumMap<>(DataType.class);
        NDList temporaries = new NDList();
        for (NDArray grad : grads) {
            NDArray probe = grad;
            if (grad.getDataType() == DataType.FLOAT64) {
                probe = invoke(owner, "_npi_multiply_scalar", scalarParam(0f), new NDList(grad));
                temporaries.add(probe);
            }
            byType.computeIfAbsent(probe.getDataType(), t -> new NDList()).add(probe);
        }
        try {
            NDArray out = null;
            for (NDList group : byType.values()) {
                for (int from = 0; from < group.size(); from += ALL_FINITE_MAX_ARRAYS) {
                    int to = Math.min(group.size(), from + ALL_FINITE_MAX_ARRAYS);
                    NDList chunk = group.subNDList(from, to);
                    MxOpParams params = countParam(chunk.size());
                    if (out == null) {
                        out = invoke(owner, "multi_all_finite", params, chunk);
                    } else {
                        params.addParam("init_output", false);
                        owner.invoke(
                                "multi_all_finite",
                                chunk.toArray(new NDArray[0]),
                                new NDArray[] {out},
                                params);
                    }
                }
            }
            return out;
        } finally {
            temporaries.close();
        }
    }

    /**
     * Sets every element of {@code grads} to 0 in place, NaN and infinities included, in one native
     * call for all arrays of rank 1 or more and one per 0-d array. Zero-size arrays are skipped.
     *
     * @param grads gradients to zero
     */
    void zero(List<NDArray> grads) {
        List<NDArray> batch = new ArrayList<>(grads.size());
        for (NDArray grad : grads) {
            if (grad.size() == 0) {
                continue;
            }
            if (grad.getShape().dimension() == 0) {
                grad.getManager()
                        .invoke("zeros_like", new NDArray[] {grad}, new NDArray[] {grad}, null);
            } else {
                batch.add(grad);
            }
        }
        if (!batch.isEmpty()) {
            inPlace.invoke(
                    "reset_arrays",
                    batch,
                    new String[] {"num_arrays"},
                    new String[] {Integer.toString(batch.size())});
        }
    }

    /**
     * Returns {@code array} cast to {@code dataType}, attached to {@code owner}.
     *
     * @param owner the manager that receives the result
     * @param array the array to cast
     * @param dataType the target dtype
     * @return a new array
     */
    static NDArray cast(NDManager owner, NDArray array, DataType dataType) {
        return invoke(owner, "Cast", dtypeParam(dataType), new NDList(array));
    }

    /**
     * Writes {@code source}, cast to the dtype of {@code target}, into {@code target}.
     *
     * @param owner the manager that runs the operator
     * @param source the values
     * @param target an array of the same shape, overwritten in place
     */
    static void castInto(NDManager owner, NDArray source, NDArray target) {
        owner.invoke(
                "Cast",
                new NDArray[] {source},
                new NDArray[] {target},
                dtypeParam(target.getDataType()));
    }

    /** DJL's own dtype names for MXNet lack float16, which the {@code Cast} operator accepts. */
    private static MxOpParams dtypeParam(DataType dataType) {
        MxOpParams params = new MxOpParams();
        switch (dataType) {
            case FLOAT16 -> params.add("dtype", "float16");
            case FLOAT32 -> params.add("dtype", "float32");
            case FLOAT64 -> params.add("dtype", "float64");
            default -> params.setDataType(dataType);
        }
        return params;
    }

    /**
     * Returns a copy of {@code array} with a new shape, attached to {@code owner}.
     *
     * @param owner the manager that receives the result
     * @param array the array to reshape
     * @param shape the new shape, with as many elements
     * @return a new array
     */
    static NDArray reshape(NDManager owner, NDArray array, Shape shape) {
        MxOpParams params = new MxOpParams();
        params.addParam("newshape", shape);
        return invoke(owner, "_np_reshape", params, new NDList(array));
    }

    /**
     * Runs a single-output operator and attaches its result to {@code owner}, whatever managers the
     * inputs belong to.
     *
     * @param owner the manager that receives the result
     * @param opName the MXNet operator
     * @param params its parameters, or null
     * @param inputs its inputs
     * @return the operator's output
     */
    static NDArray invoke(NDManager owner, String opName, MxOpParams params, NDList inputs) {
        return owner.invoke(opName, inputs, params).singletonOrThrow();
    }

    /**
     * Returns the parameters {@code scalar=value} of MXNet's scalar operators.
     *
     * @param value the scalar
     * @return the parameters
     */
    static MxOpParams scalarParam(float value) {
        MxOpParams params = new MxOpParams();
        params.addParam("scalar", value);
        return params;
    }

    private static MxOpParams countParam(int count) {
        MxOpParams params = new MxOpParams();
        params.addParam("num_arrays", count);
        return params;
    }
}
