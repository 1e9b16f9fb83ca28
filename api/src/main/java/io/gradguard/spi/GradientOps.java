package io.gradguard.spi;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import java.util.List;

/**
 * The multi-tensor operations that a guarded step needs, implemented once per engine.
 *
 * <p>Every method works on a list of gradient arrays that live on one device and returns, where it
 * returns anything, a new array on that device attached to the manager of the first gradient
 * (callers run a step inside a sub-manager and {@code tempAttach} gradient handles to it, so the
 * results are freed with the step). No method reads a value back to the host: results stay NDArrays
 * so that the device never waits for the JVM. Methods that return nothing accept an empty list;
 * methods that return an array need at least one gradient to know the device and throw {@link
 * IllegalArgumentException} on an empty list.
 *
 * <p>Norms follow {@code torch.linalg.vector_norm}: for {@code p >= 1}, {@code ||g||_p = (sum
 * |g_i|^p)^(1/p)}; for {@code p = +inf}, {@code max |g_i|}. Norms are accumulated and returned in
 * float32 whatever the gradient dtype (float16 sums of squares overflow above 256). A zero-size
 * tensor has norm 0.
 *
 * <p>Implementations: {@link #generic()} on DJL's public NDArray API (every engine), and fused ones
 * in the engine modules, found through {@link GradientOpsProvider} in {@code META-INF/services}.
 * Use {@link #forEngine(Engine)} to get the best one for an engine.
 */
public interface GradientOps {

    /**
     * Returns the per-tensor p-norms of {@code grads}.
     *
     * @param grads gradients on one device; not modified
     * @param normType {@code p >= 1}, or {@link Float#POSITIVE_INFINITY}
     * @return a 1-D float32 array of length {@code grads.size()}, element i the norm of grads[i]
     */
    NDArray perTensorNorms(List<NDArray> grads, float normType);

    /**
     * Returns the p-norm of all gradients taken as one concatenated vector: {@code (sum_i
     * ||g_i||_p^p)^(1/p)}, or {@code max_i ||g_i||_inf} for {@code p = +inf}.
     *
     * @param grads gradients on one device; not modified
     * @param normType {@code p >= 1}, or {@link Float#POSITIVE_INFINITY}
     * @return a 0-d float32 array; NaN or inf when a gradient holds one
     */
    NDArray totalNorm(List<NDArray> grads, float normType);

    /**
     * Multiplies every gradient in place by a scalar held on the device: {@code g_i <- g_i *
     * factor}. The product is taken in float32 and rounded once to the gradient's dtype, which the
     * gradient keeps (a float16 copy of the factor would lose its digits below 2^-14 and be 0 below
     * 2^-25).
     *
     * @param grads gradients to scale in place
     * @param factor a 0-d float32 array on the gradients' device
     */
    void scaleInPlace(List<NDArray> grads, NDArray factor);

    /**
     * Clamps every element in place to {@code [-limit, limit]}, as {@code clip_grad_value_}. NaN
     * stays NaN.
     *
     * @param grads gradients to clamp in place
     * @param limit the positive bound
     */
    void clampInPlace(List<NDArray> grads, float limit);

    /**
     * Returns 1 if any element of any gradient is NaN or infinite, else 0.
     *
     * @param grads gradients on one device; not modified
     * @return a 0-d float32 flag array
     */
    NDArray nonFiniteFlag(List<NDArray> grads);

    /**
     * Multiplies every gradient in place by {@code invScale} and reports whether any input element
     * was NaN or infinite, in one pass where the engine allows, as PyTorch's {@code
     * _amp_foreach_non_finite_check_and_unscale_}.
     *
     * @param grads gradients to unscale in place
     * @param invScale a 0-d float32 array holding {@code 1/S}
     * @return a 0-d float32 flag array: 1 if a non-finite value was found, else 0
     */
    NDArray unscaleAndCheck(List<NDArray> grads, NDArray invScale);

    /**
     * Sets every element of every gradient to 0 in place, NaN and infinities included (a
     * multiplication by 0 would leave NaN in place).
     *
     * @param grads gradients to zero in place
     */
    void zeroInPlace(List<NDArray> grads);

    /**
     * Clips the gradients in place by their global p-norm, as {@code
     * torch.nn.utils.clip_grad_norm_} (Pascanu, Mikolov and Bengio, "On the difficulty of training
     * recurrent neural networks", ICML 2013), and returns the norm before clipping:
     *
     * <pre>
     * total = totalNorm(grads, normType)               float32
     * coef  = min(1, maxNorm / (total + 1e-6))         float32, as ClipCoefficient
     * g_i  &lt;- g_i * coef                               for every i, always, with no branch
     * </pre>
     *
     * Nothing is read back to the host. A non-finite total gives a NaN coefficient (0 for +inf),
     * which poisons the gradients, as in PyTorch. The default composes {@link #totalNorm}, the
     * coefficient on the device and {@link #scaleInPlace}; an implementation that overrides it (in
     * fewer native calls) must leave bit-identical gradients and return a bit-identical norm.
     *
     * @param grads gradients on one device, clipped in place; at least one
     * @param maxNorm the largest allowed total norm; finite and {@code > 0}
     * @param normType {@code p >= 1}, or {@link Float#POSITIVE_INFINITY}
     * @return the 0-d float32 total norm before clipping, attached to the first gradient's manager
     * @throws IllegalArgumentException if {@code grads} is empty, {@code maxNorm} is not finite and
     *     positive, or {@code normType} is invalid
     */
    default NDArray clipByGlobalNorm(List<NDArray> grads, float maxNorm, float normType) {
        Arguments.positiveFinite("maxNorm", maxNorm);
        NDArray total = totalNorm(grads, normType);
        scaleInPlace(grads, ClipCoefficient.of(total, DeviceScalars.argument(total, maxNorm)));
        return total;
    }

    /**
     * Runs a whole guarded global-norm step on the gradients and returns what the host needs of it,
     * packed for one read: {@code [norm, coef, clipped, flag, lossFlag]}, a 1-D float32 array of
     * length {@link GlobalNormStep#PACKED_SIZE}. The meaning is {@link GlobalNormStep#composeWith},
     * which the default runs (several native calls); an implementation that overrides it, in one
     * native call, must leave bit-identical gradients and return a bit-identical array.
     *
     * @param grads gradients on one device, changed in place; at least one
     * @param step what to do
     * @return the packed step values, attached to the first gradient's manager
     * @throws IllegalArgumentException if {@code grads} is empty
     */
    default NDArray globalNormStep(List<NDArray> grads, GlobalNormStep step) {
        return step.composeWith(this, grads);
    }

    /**
     * Zeroes the gradient buffers of parameters that stopped being trained, so that a stale
     * gradient never returns when they are trained again. Unlike {@link #zeroInPlace}, this takes
     * the parameters themselves, whose gradient may be out of reach of {@code getGradient()} once
     * frozen (PyTorch keeps {@code .grad} after {@code requires_grad_(false)}). The default zeroes
     * the gradient of each parameter that still reports one.
     *
     * @param parameters the parameter arrays (not their gradients), on any devices
     */
    default void discardGradients(List<NDArray> parameters) {
        for (NDArray parameter : parameters) {
            if (parameter.hasGradient()) {
                try (NDArray grad = parameter.getGradient()) {
                    zeroInPlace(List.of(grad));
                }
            }
        }
    }

    /**
     * Prepares parameters so that successive backward passes add into their gradients instead of
     * overwriting them, for gradient accumulation. Called once, before the first micro-step.
     *
     * <p>Returns {@code true} when backward now accumulates natively, so the caller must zero the
     * gradients after each real update; {@code false} when it still overwrites, so the caller must
     * keep its own running sum. The default returns {@code true} for engines whose backward always
     * accumulates (PyTorch) and {@code false} otherwise; the MXNet module re-marks the parameters'
     * gradient requests as ADD and returns {@code true}.
     *
     * @param parameters the parameter arrays (not their gradients), on every device
     * @return whether backward accumulates natively from now on
     */
    default boolean prepareAccumulation(List<NDArray> parameters) {
        return !parameters.isEmpty()
                && "PyTorch".equals(parameters.get(0).getManager().getEngine().getEngineName());
    }

    /**
     * Changes the data type of parameter arrays in place, keeping each array's identity: every
     * block, parameter store and native module that refers to an array sees the new type, and a
     * trainable array stays trainable. Each array's values are rounded once to {@code type}. Call
     * it before the first backward pass: a gradient of the old type is not converted.
     *
     * <p>The default throws: DJL's public API can only make new arrays of another type, which the
     * blocks that hold the old ones would not see. The PyTorch module implements it.
     *
     * @param parameters the parameter arrays (not their gradients)
     * @param type the new data type
     * @throws UnsupportedOperationException if the engine cannot change a type in place
     */
    default void castParametersInPlace(List<NDArray> parameters, DataType type) {
        throw new UnsupportedOperationException(
                name() + " gradient ops cannot change a parameter's data type in place");
    }

    /**
     * Returns a short name for logs and benchmark tables, such as {@code "generic"} or {@code
     * "pytorch-fused"}.
     *
     * @return the implementation's name
     */
    String name();

    /**
     * Returns the implementation on DJL's public NDArray API, which works on every engine but
     * crosses into native code several times per tensor.
     *
     * @return the generic implementation
     */
    static GradientOps generic() {
        return GenericGradientOps.INSTANCE;
    }

    /**
     * Returns the fastest implementation registered for an engine: the one of the {@link
     * GradientOpsProvider} whose {@link GradientOpsProvider#engineName()} equals {@link
     * Engine#getEngineName()}, or {@link #generic()} when there is none (logged once at INFO).
     *
     * @param engine the engine that holds the gradients
     * @return the ops to use for that engine
     */
    static GradientOps forEngine(Engine engine) {
        return GradientOpsLookup.forEngine(engine);
    }
}
