package io.gradguard.clip;

import ai.djl.ndarray.NDArray;
import io.gradguard.internal.GradientScope;
import io.gradguard.spi.ClipCoefficient;
import io.gradguard.spi.DeviceScalars;
import io.gradguard.spi.NormType;
import java.util.List;

/**
 * Clipping as plain functions, for users who write their own training loop; the counterpart of
 * PyTorch's {@code torch.nn.utils.clip_grad_norm_} and {@code clip_grad_value_}.
 *
 * <pre>{@code
 * try (GradientCollector collector = trainer.newGradientCollector()) {
 *     collector.backward(loss);
 * }
 * List<NDArray> grads = ...; // parameter.getArray().getGradient() for each trainable parameter
 * NDArray norm = GradientClipping.clipGradNorm(grads, 1f, 2f);
 * trainer.step();
 * }</pre>
 *
 * <p>Every method checks the list on the Java side before any native operation and throws {@link
 * IllegalArgumentException}, naming the index, unless: it is not empty; no element is null or
 * closed; all elements belong to one engine and one device; each is float32 or float16; and no
 * array (or native handle) appears twice. Intermediate arrays are freed before returning; the
 * returned norm is attached to the manager of the first gradient. No method reads a value back to
 * the host, except {@link #clipGradNorm(List, float, float, boolean)} with {@code errorIfNonFinite
 * = true}, which must read the norm to decide whether to throw.
 *
 * <p>A {@code maxNorm} that stays the same from call to call is kept on the device from its second
 * call on (no copy per step); one that changes at every call, such as a schedule, is copied to the
 * device for that call and freed with its intermediates, so memory does not grow with the number of
 * distinct values.
 */
public final class GradientClipping {

    private GradientClipping() {}

    /**
     * Clips the gradients in place by their total L2 norm; see {@link #clipGradNorm(List, float,
     * float)}.
     *
     * @param grads the gradients to clip in place, on one device
     * @param maxNorm the largest allowed total norm; finite and {@code > 0}
     * @return the total norm before clipping, a 0-d float32 array
     */
    public static NDArray clipGradNorm(List<NDArray> grads, float maxNorm) {
        return clipGradNorm(grads, maxNorm, 2f, false);
    }

    /**
     * Clips the gradients in place by their total p-norm, with PyTorch's semantics: {@code total =
     * ||concat(g_i)||_p} in float32, {@code coef = min(1, maxNorm / (total + 1e-6))}, {@code g_i <-
     * g_i * coef} for every gradient, always (no branch, no host sync). A non-finite total
     * propagates into the gradients, as PyTorch does with {@code error_if_nonfinite=False}.
     *
     * @param grads the gradients to clip in place, on one device
     * @param maxNorm the largest allowed total norm; finite and {@code > 0}
     * @param normType {@code p >= 1}, or {@link Float#POSITIVE_INFINITY}
     * @return the total norm before clipping, a 0-d float32 array on the gradients' device
     * @throws IllegalArgumentException on an invalid argument or gradient list (see the class
     *     comment)
     */
    public static NDArray clipGradNorm(List<NDArray> grads, float maxNorm, float normType) {
        return clipGradNorm(grads, maxNorm, normType, false);
    }

    /**
     * Clips like {@link #clipGradNorm(List, float, float)}, optionally refusing non-finite
     * gradients.
     *
     * <p>With {@code errorIfNonFinite = true} the total norm is read back to the host before any
     * gradient is changed (one device synchronization per call), and a NaN or infinite norm throws
     * {@link NonFiniteGradientException}, leaving the gradients untouched.
     *
     * @param grads the gradients to clip in place, on one device
     * @param maxNorm the largest allowed total norm; finite and {@code > 0}
     * @param normType {@code p >= 1}, or {@link Float#POSITIVE_INFINITY}
     * @param errorIfNonFinite whether to throw on a non-finite total norm
     * @return the total norm before clipping, a 0-d float32 array on the gradients' device
     * @throws IllegalArgumentException on an invalid argument or gradient list (see the class
     *     comment)
     * @throws NonFiniteGradientException if {@code errorIfNonFinite} and the norm is not finite
     */
    public static NDArray clipGradNorm(
            List<NDArray> grads, float maxNorm, float normType, boolean errorIfNonFinite) {
        Thresholds.positiveFinite("maxNorm", maxNorm);
        NormType.check(normType);
        return GradientScope.inScope(
                grads,
                ops -> {
                    if (!errorIfNonFinite) {
                        return ops.clipByGlobalNorm(grads, maxNorm, normType);
                    }
                    NDArray total = ops.totalNorm(grads, normType);
                    float value = total.getFloat();
                    if (!Float.isFinite(value)) {
                        throw new NonFiniteGradientException(
                                "The total "
                                        + normType
                                        + "-norm of "
                                        + grads.size()
                                        + " gradients is "
                                        + value
                                        + "; the gradients were left unchanged. Set"
                                        + " errorIfNonFinite=false to propagate, or use a loss"
                                        + " scaler to skip such steps.");
                    }
                    ops.scaleInPlace(
                            grads,
                            ClipCoefficient.of(total, DeviceScalars.argument(total, maxNorm)));
                    return total;
                });
    }

    /**
     * Returns the total p-norm of the gradients taken as one vector, in float32, without changing
     * them: {@code (sum_i ||g_i||_p^p)^(1/p)}, or {@code max_i max|g_i|} for {@code p = inf}.
     *
     * @param grads the gradients, on one device
     * @param normType {@code p >= 1}, or {@link Float#POSITIVE_INFINITY}
     * @return a 0-d float32 array on the gradients' device
     * @throws IllegalArgumentException on an invalid argument or gradient list (see the class
     *     comment)
     */
    public static NDArray totalNorm(List<NDArray> grads, float normType) {
        NormType.check(normType);
        return GradientScope.inScope(grads, ops -> ops.totalNorm(grads, normType));
    }

    /**
     * Clamps every gradient element in place to {@code [-limit, limit]}, as PyTorch's {@code
     * clip_grad_value_}.
     *
     * @param grads the gradients to clamp in place, on one device
     * @param limit the bound; finite and {@code > 0}
     * @throws IllegalArgumentException on an invalid argument or gradient list (see the class
     *     comment)
     */
    public static void clipGradValue(List<NDArray> grads, float limit) {
        Thresholds.positiveFinite("limit", limit);
        GradientScope.inScope(
                grads,
                ops -> {
                    ops.clampInPlace(grads, limit);
                    return null;
                });
    }
}
