package io.gradguard.pytorch;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.ndarray.types.SparseFormat;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.IValue;
import ai.djl.pytorch.jni.JniUtils;
import io.gradguard.spi.Arguments;
import io.gradguard.spi.DeviceScalars;
import io.gradguard.spi.GlobalNormStep;
import io.gradguard.spi.GradientOps;
import io.gradguard.spi.NormType;
import java.util.ArrayList;
import java.util.List;

/**
 * {@link GradientOps} for DJL's PyTorch engine: each method is one call into a TorchScript module
 * shipped with this library, which works on the whole gradient list with PyTorch's multi-tensor
 * kernels ({@code torch._foreach_norm}, {@code _foreach_zero_}, and the AMP kernels of {@code
 * torch.cuda.amp.GradScaler}) instead of several JNI crossings per tensor.
 *
 * <p>The module ({@code engine-pytorch/src/main/torchscript/gradguard_ops.py}) is compiled by DJL's
 * libtorch when it is first used on a device, and kept for the life of the JVM. Its operations
 * change the real {@code .grad} tensors: the handles from {@code getGradient()} alias them. No
 * method reads a value back to the host; scalar arguments that change every step ({@code factor},
 * {@code maxNorm}, {@code invScale}) are device arrays, and results are new arrays attached to the
 * manager of the first gradient.
 *
 * <p>Besides the {@link GradientOps} contract this class offers a fused step: {@link
 * #clipByGlobalNorm(List, NDArray, float)}, the whole of {@code torch.nn.utils.clip_grad_norm_} in
 * one call.
 *
 * <p>Numerics: norms of float32 gradients come from one {@code _foreach_norm}; other dtypes are
 * reduced per tensor with {@code torch.linalg.vector_norm(g, p, dtype=float32)}, so a float16
 * gradient whose norm exceeds 65504 still has a finite norm. Scaling multiplies in float32 and
 * rounds once to the gradient's dtype.
 */
public final class PtGradientOps implements GradientOps {

    private final TorchScriptOps module;

    private PtGradientOps(TorchScriptOps module) {
        this.module = module;
    }

    /**
     * Returns the fused ops, after loading the TorchScript module on the CPU to prove that this
     * libtorch compiles it. Modules for other devices are loaded on their first use.
     *
     * @return the ops
     * @throws ai.djl.engine.EngineException if libtorch cannot load or compile the module
     * @throws IllegalStateException if the module is missing from the class path
     */
    public static PtGradientOps load() {
        TorchScriptOps shared = TorchScriptOps.shared();
        shared.module(Device.cpu());
        return new PtGradientOps(shared);
    }

    /** {@inheritDoc} */
    @Override
    public NDArray perTensorNorms(List<NDArray> grads, float normType) {
        NormType.check(normType);
        PtNDArray[] arrays = PtArguments.nonEmptyGradients(grads);
        PtNDArray out = emptyFloat32(arrays[0], new Shape(arrays.length));
        try (IValue list = IValue.listFrom(arrays);
                IValue p = IValue.from((double) normType);
                IValue f32 = IValue.from(PtArguments.float32Only(arrays));
                IValue o = IValue.from(out)) {
            return module.runInto(out, TorchScriptOps.PER_TENSOR_NORMS, list, p, f32, o);
        }
    }

    /** {@inheritDoc} */
    @Override
    public NDArray totalNorm(List<NDArray> grads, float normType) {
        NormType.check(normType);
        PtNDArray[] arrays = PtArguments.nonEmptyGradients(grads);
        PtNDArray out = emptyFloat32(arrays[0], new Shape());
        try (IValue list = IValue.listFrom(arrays);
                IValue p = IValue.from((double) normType);
                IValue f32 = IValue.from(PtArguments.float32Only(arrays));
                IValue o = IValue.from(out)) {
            return module.runInto(out, TorchScriptOps.TOTAL_NORM, list, p, f32, o);
        }
    }

    /**
     * {@inheritDoc}
     *
     * <p>The product is taken in float32 and rounded once to the gradient's dtype. On CUDA this is
     * one multi-tensor kernel.
     *
     * @throws IllegalArgumentException if {@code factor} is not a one-element float32 PyTorch array
     */
    @Override
    public void scaleInPlace(List<NDArray> grads, NDArray factor) {
        PtNDArray[] arrays = PtArguments.gradients(grads);
        PtNDArray f = PtArguments.scalar(factor, "factor", DataType.FLOAT32);
        if (arrays.length == 0) {
            return;
        }
        try (IValue list = IValue.listFrom(arrays);
                IValue fv = IValue.from(f)) {
            module.runInPlace(f.getDevice(), TorchScriptOps.SCALE, list, fv);
        }
    }

    /**
     * {@inheritDoc}
     *
     * @throws IllegalArgumentException if {@code limit} is not positive
     */
    @Override
    public void clampInPlace(List<NDArray> grads, float limit) {
        if (!(limit > 0f)) {
            throw new IllegalArgumentException("limit must be positive, got " + limit);
        }
        PtNDArray[] arrays = PtArguments.gradients(grads);
        if (arrays.length == 0) {
            return;
        }
        try (IValue list = IValue.listFrom(arrays);
                IValue bound = IValue.from((double) limit)) {
            module.runInPlace(arrays[0].getDevice(), TorchScriptOps.CLAMP, list, bound);
        }
    }

    /**
     * {@inheritDoc}
     *
     * <p>Computed as {@code max_i ||g_i||_inf}, which is NaN or infinite exactly when some element
     * is: one read-only multi-tensor pass.
     */
    @Override
    public NDArray nonFiniteFlag(List<NDArray> grads) {
        PtNDArray[] arrays = PtArguments.nonEmptyGradients(grads);
        PtNDArray out = emptyFloat32(arrays[0], new Shape());
        try (IValue list = IValue.listFrom(arrays);
                IValue f32 = IValue.from(PtArguments.float32Only(arrays));
                IValue o = IValue.from(out)) {
            return module.runInto(out, TorchScriptOps.NON_FINITE_FLAG, list, f32, o);
        }
    }

    /**
     * {@inheritDoc}
     *
     * <p>One call of {@code torch._amp_foreach_non_finite_check_and_unscale_}.
     *
     * @throws IllegalArgumentException if {@code invScale} is not a one-element float32 PyTorch
     *     array
     */
    @Override
    public NDArray unscaleAndCheck(List<NDArray> grads, NDArray invScale) {
        PtNDArray[] arrays = PtArguments.nonEmptyGradients(grads);
        PtNDArray inv = PtArguments.scalar(invScale, "invScale", DataType.FLOAT32);
        PtNDArray out =
                JniUtils.createZerosNdArray(
                        arrays[0].getManager(),
                        new Shape(),
                        DataType.FLOAT32,
                        arrays[0].getDevice(),
                        SparseFormat.DENSE);
        try (IValue list = IValue.listFrom(arrays);
                IValue iv = IValue.from(inv);
                IValue o = IValue.from(out)) {
            return module.runInto(out, TorchScriptOps.UNSCALE_AND_CHECK, list, o, iv);
        }
    }

    /** {@inheritDoc} */
    @Override
    public void zeroInPlace(List<NDArray> grads) {
        PtNDArray[] arrays = PtArguments.gradients(grads);
        if (arrays.length == 0) {
            return;
        }
        try (IValue list = IValue.listFrom(arrays)) {
            module.runInPlace(arrays[0].getDevice(), TorchScriptOps.ZERO, list);
        }
    }

    /**
     * Zeroes the {@code .grad} of each parameter, also of frozen ones, which keep it after {@code
     * requires_grad_(false)} and add onto it again once unfrozen.
     *
     * @param parameters parameter arrays of this engine
     */
    @Override
    public void discardGradients(List<NDArray> parameters) {
        List<NDArray> grads = new ArrayList<>(parameters.size());
        try {
            for (NDArray parameter : parameters) {
                PtNDArray grad = JniUtils.getGradient((PtNDArray) parameter);
                if (grad != null) {
                    grads.add(grad);
                }
            }
            zeroInPlace(grads);
        } finally {
            for (NDArray grad : grads) {
                grad.close();
            }
        }
    }

    /**
     * {@inheritDoc}
     *
     * <p>One call of the scripted {@code set_data_} ({@code p.data = v} in Python) for all arrays;
     * see {@link PtParameterCast} for the DJL 0.35.1 detail it relies on.
     *
     * @throws IllegalArgumentException if an array is null or of another engine
     */
    @Override
    public void castParametersInPlace(List<NDArray> parameters, DataType type) {
        PtParameterCast.castInPlace(module, parameters, type);
    }

    /**
     * Clips the gradients in place to a global p-norm in one call, as {@code
     * torch.nn.utils.clip_grad_norm_}: with {@code N} the {@link #totalNorm total norm}, every
     * gradient is multiplied by {@code min(1, maxNorm / (N + 1e-6))}. Gradients below the bound are
     * left bit-identical. A non-finite norm makes every gradient NaN (nothing is raised).
     *
     * <p>Pascanu, Mikolov and Bengio, "On the difficulty of training recurrent neural networks",
     * ICML 2013.
     *
     * @param grads gradients on one device, clipped in place
     * @param maxNorm a one-element float32 array on the gradients' device holding the bound
     * @param normType {@code p >= 1}, or {@link Float#POSITIVE_INFINITY}
     * @return the 0-d float32 total norm before clipping, attached to the first gradient's manager
     * @throws IllegalArgumentException if {@code grads} is empty, {@code normType} is invalid or
     *     {@code maxNorm} is not a one-element float32 PyTorch array
     */
    public NDArray clipByGlobalNorm(List<NDArray> grads, NDArray maxNorm, float normType) {
        NormType.check(normType);
        PtNDArray[] arrays = PtArguments.nonEmptyGradients(grads);
        PtNDArray bound = PtArguments.scalar(maxNorm, "maxNorm", DataType.FLOAT32);
        PtNDArray out = emptyFloat32(arrays[0], new Shape());
        try (IValue list = IValue.listFrom(arrays);
                IValue max = IValue.from(bound);
                IValue p = IValue.from((double) normType);
                IValue f32 = IValue.from(PtArguments.float32Only(arrays));
                IValue o = IValue.from(out)) {
            return module.runInto(out, TorchScriptOps.CLIP_BY_GLOBAL_NORM, list, max, p, f32, o);
        }
    }

    /**
     * Clips the gradients in place to a global p-norm, as {@link #clipByGlobalNorm(List, NDArray,
     * float)} with the bound held in a device scalar: a cached one when the same bound repeats,
     * otherwise a new one in the first gradient's manager ({@link DeviceScalars#argument}).
     *
     * @param grads gradients on one device, clipped in place
     * @param maxNorm the bound, positive and finite
     * @param normType {@code p >= 1}, or {@link Float#POSITIVE_INFINITY}
     * @return the 0-d float32 total norm before clipping, attached to the first gradient's manager
     * @throws IllegalArgumentException if {@code grads} is empty, {@code normType} is invalid or
     *     {@code maxNorm} is not positive and finite
     */
    @Override
    public NDArray clipByGlobalNorm(List<NDArray> grads, float maxNorm, float normType) {
        Arguments.positiveFinite("maxNorm", maxNorm);
        NormType.check(normType);
        PtNDArray[] arrays = PtArguments.nonEmptyGradients(grads);
        return clipByGlobalNorm(grads, DeviceScalars.argument(arrays[0], maxNorm), normType);
    }

    /**
     * {@inheritDoc}
     *
     * <p>One TorchScript call, whatever the number of gradients: the AMP unscale kernel, the
     * multi-tensor norms, the coefficient and the multiply run inside the module, and the packed
     * values are written into one new array. Absent scalars are passed as cached device constants
     * (a multiplier of 1 and a loss flag of 0), which change no bit of the result.
     *
     * @throws IllegalArgumentException if {@code grads} is empty or holds a non-PyTorch array, or a
     *     scalar of {@code step} is not a one-element float32 PyTorch array
     */
    @Override
    public NDArray globalNormStep(List<NDArray> grads, GlobalNormStep step) {
        PtNDArray[] arrays = PtArguments.nonEmptyGradients(grads);
        PtNDArray first = arrays[0];
        PtNDArray one = (PtNDArray) DeviceScalars.fp32(first, 1f);
        PtNDArray inv = orConstant(step.invScale(), "invScale", one);
        PtNDArray multiplier = orConstant(step.multiplier(), "multiplier", one);
        PtNDArray loss =
                orConstant(step.lossFlag(), "lossFlag", (PtNDArray) DeviceScalars.fp32(first, 0f));
        PtNDArray bound = (PtNDArray) DeviceScalars.fp32(first, step.maxNorm());
        PtNDArray out = emptyFloat32(first, new Shape(GlobalNormStep.PACKED_SIZE));
        try (IValue list = IValue.listFrom(arrays);
                IValue f32 = IValue.from(PtArguments.float32Only(arrays));
                IValue unscale = IValue.from(step.invScale() != null);
                IValue iv = IValue.from(inv);
                IValue recheck = IValue.from(step.recheck());
                IValue check = IValue.from(step.check());
                IValue mult = IValue.from(multiplier);
                IValue max = IValue.from(bound);
                IValue p = IValue.from((double) step.normType());
                IValue lf = IValue.from(loss);
                IValue o = IValue.from(out)) {
            return module.runInto(
                    out,
                    TorchScriptOps.GLOBAL_NORM_STEP,
                    list,
                    f32,
                    unscale,
                    iv,
                    recheck,
                    check,
                    mult,
                    max,
                    p,
                    lf,
                    o);
        }
    }

    /** Returns {@code array} checked as a float32 scalar, or {@code constant} when it is null. */
    private static PtNDArray orConstant(NDArray array, String name, PtNDArray constant) {
        return array == null ? constant : PtArguments.scalar(array, name, DataType.FLOAT32);
    }

    /** Returns the number of TorchScript calls made by the fused ops of this JVM, for tests. */
    static long torchScriptCalls() {
        return TorchScriptOps.shared().calls();
    }

    /** Returns an uninitialized float32 array on {@code like}'s device and manager. */
    private static PtNDArray emptyFloat32(PtNDArray like, Shape shape) {
        return JniUtils.createEmptyNdArray(
                like.getManager(), shape, DataType.FLOAT32, like.getDevice(), SparseFormat.DENSE);
    }

    /**
     * {@inheritDoc}
     *
     * @return {@code "pytorch-fused"}
     */
    @Override
    public String name() {
        return "pytorch-fused";
    }
}
