package io.gradguard.mxnet;

import ai.djl.mxnet.engine.GradReq;
import ai.djl.mxnet.engine.MxNDArray;
import ai.djl.mxnet.jna.JnaUtils;
import ai.djl.ndarray.NDArray;
import java.nio.IntBuffer;

/**
 * Switches how MXNet's backward pass writes a parameter's gradient.
 *
 * <p>DJL marks every MXNet parameter with {@code grad_req = write}: each backward pass overwrites
 * the gradient, so micro-batches cannot accumulate. {@link #accumulate(NDArray)} re-marks the
 * parameter with {@code grad_req = add}, so that each backward pass adds into the existing gradient
 * buffer (the buffer and its contents are kept). MXNet's optimizers never zero gradients: with
 * {@code add}, the caller must zero them after every real update (for instance with {@link
 * MxGradientOps#zeroInPlace}), or the next step keeps summing. {@link #overwrite(NDArray)} restores
 * DJL's default.
 *
 * <p>The mark belongs to the array, so a parameter replicated on several devices needs one call per
 * device copy.
 */
public final class MxGradReq {

    private MxGradReq() {}

    /**
     * Makes backward passes add into the gradient of {@code parameterValue} ({@code grad_req =
     * add}).
     *
     * @param parameterValue a parameter's value on one device, an MXNet array with a gradient
     *     attached ({@code setRequiresGradient(true)}, as DJL does for parameters)
     * @throws IllegalArgumentException if the array is not an MXNet array or has no gradient
     */
    public static void accumulate(NDArray parameterValue) {
        mark(parameterValue, GradReq.ADD);
    }

    /**
     * Makes backward passes overwrite the gradient of {@code parameterValue} ({@code grad_req =
     * write}), DJL's default.
     *
     * @param parameterValue a parameter's value on one device, an MXNet array with a gradient
     *     attached
     * @throws IllegalArgumentException if the array is not an MXNet array or has no gradient
     */
    public static void overwrite(NDArray parameterValue) {
        mark(parameterValue, GradReq.WRITE);
    }

    private static void mark(NDArray parameterValue, GradReq req) {
        if (!(parameterValue instanceof MxNDArray array)) {
            throw new IllegalArgumentException(
                    "parameterValue must be an MXNet array, got "
                            + (parameterValue == null
                                    ? "null"
                                    : parameterValue.getClass().getName()));
        }
        if (!array.hasGradient()) {
            throw new IllegalArgumentException(
                    "parameterValue "
                            + array.getShape()
                            + " has no gradient attached; call setRequiresGradient(true) first");
        }
        IntBuffer reqs = IntBuffer.allocate(1);
        reqs.put(0, req.getValue());
        try (MxNDArray grad = (MxNDArray) array.getGradient()) {
            JnaUtils.autogradMarkVariables(1, array.getHandle(), reqs, grad.getHandle());
        }
    }
}
