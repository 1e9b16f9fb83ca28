package io.gradguard;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.gradguard.internal.NormType;
import io.gradguard.spi.GradientOps;
import java.util.List;
import java.util.Objects;
import java.util.function.Function;

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
 * <p>All gradients must be on one device. Intermediate arrays are freed before returning; the
 * returned norm is attached to the manager of the first gradient. No method reads a value back to
 * the host, except {@link #clipGradNorm(List, float, float, boolean)} with {@code errorIfNonFinite
 * = true}, which must read the norm to decide whether to throw.
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
     * @throws IllegalArgumentException on an invalid argument, an empty list, or gradients on
     *     different devices or engines
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
     * @throws IllegalArgumentException on an invalid argument, an empty list, or gradients on
     *     different devices or engines
     * @throws NonFiniteGradientException if {@code errorIfNonFinite} and the norm is not finite
     */
    public static NDArray clipGradNorm(
            List<NDArray> grads, float maxNorm, float normType, boolean errorIfNonFinite) {
        Thresholds.positiveFinite("maxNorm", maxNorm);
        NormType.check(normType);
        return inScope(
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
                    ops.scaleInPlace(grads, ClipMath.coefficient(total, maxNorm));
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
     * @throws IllegalArgumentException on an invalid argument, an empty list, or gradients on
     *     different devices or engines
     */
    public static NDArray totalNorm(List<NDArray> grads, float normType) {
        NormType.check(normType);
        return inScope(grads, ops -> ops.totalNorm(grads, normType));
    }

    /**
     * Clamps every gradient element in place to {@code [-limit, limit]}, as PyTorch's {@code
     * clip_grad_value_}.
     *
     * @param grads the gradients to clamp in place, on one device
     * @param limit the bound; finite and {@code > 0}
     * @throws IllegalArgumentException on an invalid argument, an empty list, or gradients on
     *     different devices or engines
     */
    public static void clipGradValue(List<NDArray> grads, float limit) {
        Thresholds.positiveFinite("limit", limit);
        inScope(
                grads,
                ops -> {
                    ops.clampInPlace(grads, limit);
                    return null;
                });
    }

    /**
     * Checks the gradients (not empty, no null, one device), then runs {@code work} with the
     * engine's ops inside a sub-manager of the first gradient's manager, with the gradients
     * temporarily attached to it, so that every intermediate is freed before returning. The array
     * {@code work} returns, if any, is attached to the first gradient's manager and survives.
     *
     * @param grads the gradients
     * @param work what to do with them
     * @return the array {@code work} returned, or null
     * @throws IllegalArgumentException on an empty list, a null gradient, several engines or
     *     several devices
     */
    static NDArray inScope(List<NDArray> grads, Function<GradientOps, NDArray> work) {
        checkGradients(grads);
        NDManager home = grads.get(0).getManager();
        try (NDManager scope = home.newSubManager()) {
            scope.tempAttachAll(grads.toArray(new NDArray[0]));
            NDArray result = work.apply(GradientOps.forEngine(home.getEngine()));
            if (result != null) {
                result.attach(home);
            }
            return result;
        }
    }

    private static String engineName(NDArray grad) {
        return grad.getManager().getEngine().getEngineName();
    }

    private static void checkGradients(List<NDArray> grads) {
        Objects.requireNonNull(grads, "grads");
        if (grads.isEmpty()) {
            throw new IllegalArgumentException("grads is empty: pass at least one gradient");
        }
        Device device = grads.get(0).getDevice();
        String engine = engineName(grads.get(0));
        for (int i = 0; i < grads.size(); i++) {
            NDArray grad = grads.get(i);
            if (grad == null) {
                throw new IllegalArgumentException("grads[" + i + "] is null");
            }
            if (!grad.getDevice().equals(device)) {
                throw new IllegalArgumentException(
                        "grads must all be on one device: grads[0] is on "
                                + device
                                + ", grads["
                                + i
                                + "] on "
                                + grad.getDevice()
                                + ". Move them with toDevice(...) or clip each device's set"
                                + " separately.");
            }
            if (!engineName(grad).equals(engine)) {
                throw new IllegalArgumentException(
                        "grads must all belong to one engine: grads[0] is a "
                                + engine
                                + " array, grads["
                                + i
                                + "] a "
                                + engineName(grad)
                                + " array.");
            }
        }
    }
}
