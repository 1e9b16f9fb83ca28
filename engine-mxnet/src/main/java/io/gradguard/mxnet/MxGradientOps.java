package io.gradguard.mxnet;

import ai.djl.mxnet.engine.MxNDArray;
import ai.djl.mxnet.engine.MxOpParams;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.gradguard.spi.GradientOps;
import io.gradguard.spi.NormType;
import java.util.List;

/**
 * {@link GradientOps} on MXNet 1.9's multi-tensor operators, for DJL's MXNet engine.
 *
 * <p>Which operator does what:
 *
 * <ul>
 *   <li>L2 norms: {@code multi_sum_sq} gives every tensor's sum of squares {@code s_i} in one call;
 *       per-tensor norms are {@code sqrt(s_i)}, the total is the L2 norm of those norms (a second
 *       {@code multi_sum_sq}), as {@code clip_grad_norm_} combines them. Two native calls for the
 *       per-tensor norms and five for the total, whatever the number of tensors, plus a cast per
 *       tensor that is not float32 and a reshape per 0-d tensor.
 *   <li>Other orders ({@code p = 1}, {@code +inf}, any other {@code p}): MXNet 1.9 has no
 *       multi-tensor operator for them, so they go through {@link GradientOps#generic()}, a few
 *       calls per tensor.
 *   <li>Non-finite check: {@code 1 - multi_all_finite}, in chunks of 200 arrays (the operator's
 *       limit) accumulating into one output.
 *   <li>Scaling and clamping: one in-place call per tensor ({@code _npi_multiply} with the 0-d
 *       factor broadcast, {@code _npi_clip}); two for a float16 gradient, whose product is taken in
 *       float32 and rounded once. MXNet 1.9 has no multi-tensor scaling operator; its multi-tensor
 *       updates ({@code multi_sgd_update}, {@code preloaded_multi_sgd_update} and kin) compute
 *       {@code w - lr * (rescale * g + wd * w)}, which cannot express an exact multiplication by a
 *       factor held on the device.
 *   <li>Zeroing: {@code reset_arrays}, a memset of all arrays in one call, so NaN becomes 0 (a
 *       multiplication by 0 leaves NaN in MXNet too, measured).
 * </ul>
 *
 * <p>Norms are float32 whatever the gradient dtype: float16 and float64 gradients are cast to
 * float32 before {@code multi_sum_sq}. No method reads a value back to the host. Every returned
 * array is attached to the manager of the first gradient; intermediates are closed before return.
 * Instances are stateless apart from cached operator handles and may be shared between threads.
 */
public final class MxGradientOps implements GradientOps {

    private final MxMultiTensorKernels kernels;

    /**
     * Creates the ops, loading DJL's MXNet engine if needed and binding to its library. Prefer
     * {@code GradientOps.forEngine(Engine.getEngine("MXNet"))}, which also runs a self-check.
     *
     * @throws ai.djl.engine.EngineException if the MXNet engine cannot be loaded
     * @throws UnsatisfiedLinkError if MXNet's C API cannot be bound
     */
    public MxGradientOps() {
        this.kernels = new MxMultiTensorKernels(MxInPlaceInvoker.load());
    }

    /**
     * {@inheritDoc}
     *
     * <p>{@code p = 2}: {@code sqrt(multi_sum_sq(grads))}. Other orders: {@link
     * GradientOps#generic()}.
     */
    @Override
    public NDArray perTensorNorms(List<NDArray> grads, float normType) {
        NormType.check(normType);
        requireMxNet(grads);
        requireNonEmpty(grads);
        if (normType != 2f) {
            return GradientOps.generic().perTensorNorms(grads, normType);
        }
        NDManager owner = owner(grads);
        try (NDArray sumsOfSquares = kernels.sumsOfSquares(owner, grads)) {
            return unary(owner, "_npi_sqrt", sumsOfSquares);
        }
    }

    /**
     * {@inheritDoc}
     *
     * <p>{@code p = 2}: the L2 norm of the per-tensor norms, {@code sqrt(multi_sum_sq(sqrt(
     * multi_sum_sq(grads))))}, as {@code clip_grad_norm_} combines them. MXNet's {@code sum} is
     * compensated (Kahan) and turns a sum that reaches infinity into NaN (measured: {@code
     * sum([inf, 1])} is NaN); {@code multi_sum_sq} sums plainly, so an infinite gradient gives an
     * infinite norm, as in PyTorch. Other orders: {@link GradientOps#generic()}, where an infinite
     * L1 norm comes out NaN for that reason.
     */
    @Override
    public NDArray totalNorm(List<NDArray> grads, float normType) {
        NormType.check(normType);
        requireMxNet(grads);
        requireNonEmpty(grads);
        if (normType != 2f) {
            return GradientOps.generic().totalNorm(grads, normType);
        }
        NDManager owner = owner(grads);
        try (NDArray sumsOfSquares = kernels.sumsOfSquares(owner, grads);
                NDArray norms = unary(owner, "_npi_sqrt", sumsOfSquares);
                NDArray total = kernels.sumsOfSquares(owner, List.of(norms));
                NDArray scalar = MxMultiTensorKernels.reshape(owner, total, new Shape())) {
            return unary(owner, "_npi_sqrt", scalar);
        }
    }

    /**
     * {@inheritDoc}
     *
     * <p>One in-place {@code _npi_multiply} per non-empty tensor at least as wide as the factor
     * (MXNet promotes mixed dtypes, so a float64 gradient is multiplied by the exact float64 value
     * of a float32 factor). A narrower gradient (float16) is multiplied into a float32 temporary,
     * then cast back into place: the product is rounded once to float16, never the factor.
     */
    @Override
    public void scaleInPlace(List<NDArray> grads, NDArray factor) {
        if (factor == null) {
            throw new IllegalArgumentException("factor must not be null");
        }
        requireMxNet(grads);
        if (grads.isEmpty()) {
            return;
        }
        if (!(factor instanceof MxNDArray)) {
            throw new IllegalArgumentException(
                    "factor must be an MXNet array, got " + factor.getClass().getName());
        }
        NDManager owner = owner(grads);
        int factorBytes = factor.getDataType().getNumOfBytes();
        for (NDArray grad : grads) {
            if (grad.size() == 0) {
                continue;
            }
            if (grad.getDataType().getNumOfBytes() >= factorBytes) {
                owner.invoke(
                        "_npi_multiply", new NDArray[] {grad, factor}, new NDArray[] {grad}, null);
            } else {
                try (NDArray product =
                        MxMultiTensorKernels.invoke(
                                owner, "_npi_multiply", null, new NDList(grad, factor))) {
                    MxMultiTensorKernels.castInto(owner, product, grad);
                }
            }
        }
    }

    /**
     * {@inheritDoc}
     *
     * <p>One in-place {@code _npi_clip} per non-empty tensor; infinities become {@code +-limit}.
     *
     * @throws IllegalArgumentException if {@code limit} is not positive
     */
    @Override
    public void clampInPlace(List<NDArray> grads, float limit) {
        if (!(limit > 0f)) {
            throw new IllegalArgumentException("limit must be > 0, got " + limit);
        }
        requireMxNet(grads);
        if (Float.isInfinite(limit)) {
            return;
        }
        MxOpParams params = new MxOpParams();
        params.addParam("a_min", -limit);
        params.addParam("a_max", limit);
        for (NDArray grad : grads) {
            if (grad.size() > 0) {
                grad.getManager()
                        .invoke("_npi_clip", new NDArray[] {grad}, new NDArray[] {grad}, params);
            }
        }
    }

    /**
     * {@inheritDoc}
     *
     * <p>{@code 1 - multi_all_finite(grads)}, reshaped to 0-d.
     */
    @Override
    public NDArray nonFiniteFlag(List<NDArray> grads) {
        requireMxNet(grads);
        requireNonEmpty(grads);
        NDManager owner = owner(grads);
        try (NDArray allFinite = kernels.allFinite(owner, grads);
                NDArray flag =
                        MxMultiTensorKernels.invoke(
                                owner,
                                "_npi_rsubtract_scalar",
                                MxMultiTensorKernels.scalarParam(1f),
                                new NDList(allFinite))) {
            return MxMultiTensorKernels.reshape(owner, flag, new Shape());
        }
    }

    /**
     * {@inheritDoc}
     *
     * <p>Two passes queued back to back: {@link #nonFiniteFlag} on the incoming values, then {@link
     * #scaleInPlace}; MXNet's engine orders the in-place write after the read.
     */
    @Override
    public NDArray unscaleAndCheck(List<NDArray> grads, NDArray invScale) {
        if (invScale == null) {
            throw new IllegalArgumentException("invScale must not be null");
        }
        NDArray flag = nonFiniteFlag(grads);
        scaleInPlace(grads, invScale);
        return flag;
    }

    /**
     * {@inheritDoc}
     *
     * <p>One {@code reset_arrays} call for all tensors of rank 1 or more, and one {@code
     * zeros_like} written in place per 0-d tensor.
     */
    @Override
    public void zeroInPlace(List<NDArray> grads) {
        requireMxNet(grads);
        kernels.zero(grads);
    }

    /**
     * Re-marks every parameter with {@code grad_req = add} (see {@link MxGradReq}), so that
     * backward passes sum into the gradients; the caller zeroes them after each real update.
     *
     * @param parameters the parameter arrays on every device
     * @return {@code true}: backward now accumulates natively
     */
    @Override
    public boolean prepareAccumulation(List<NDArray> parameters) {
        for (NDArray parameter : parameters) {
            MxGradReq.accumulate(parameter);
        }
        return true;
    }

    /**
     * Returns {@code "mxnet-fused"}.
     *
     * @return the implementation's name
     */
    @Override
    public String name() {
        return "mxnet-fused";
    }

    private static NDArray unary(NDManager owner, String opName, NDArray input) {
        return MxMultiTensorKernels.invoke(owner, opName, null, new NDList(input));
    }

    private static NDManager owner(List<NDArray> grads) {
        return grads.get(0).getManager();
    }

    private static void requireNonEmpty(List<NDArray> grads) {
        if (grads.isEmpty()) {
            throw new IllegalArgumentException("grads is empty: at least one gradient is needed");
        }
    }

    /** Checks that the list and every gradient in it are MXNet arrays, before any native call. */
    private static void requireMxNet(List<NDArray> grads) {
        if (grads == null) {
            throw new IllegalArgumentException("grads must not be null");
        }
        for (int i = 0; i < grads.size(); i++) {
            NDArray grad = grads.get(i);
            if (!(grad instanceof MxNDArray)) {
                throw new IllegalArgumentException(
                        "grads["
                                + i
                                + "] must be an MXNet array, got "
                                + (grad == null ? "null" : grad.getClass().getName()));
            }
        }
    }
}
