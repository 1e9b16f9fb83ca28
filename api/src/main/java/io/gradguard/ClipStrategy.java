package io.gradguard;

/**
 * How gradients are bounded at each optimizer step.
 *
 * <p>A strategy runs after backward (and after unscaling, when a loss scaler is used) and before
 * the optimizer update. It must not read values back to the host unless its javadoc says so:
 * coefficients stay on the device and are multiplied into the gradients in place.
 *
 * <p>Obtain strategies from the static factories:
 *
 * <pre>{@code
 * ClipStrategy.globalNorm(1f);                          // torch.nn.utils.clip_grad_norm_
 * ClipStrategy.globalNorm(1f, Float.POSITIVE_INFINITY); // max-norm
 * ClipStrategy.value(0.5f);                             // torch.nn.utils.clip_grad_value_
 * ClipStrategy.perParameterNorm(1f);
 * ClipStrategy.observeOnly();                           // measure, never change
 * }</pre>
 *
 * <p>Strategies are immutable unless stated otherwise and may be shared across listeners.
 */
public interface ClipStrategy {

    /**
     * Measures and clips the gradients of one step in place.
     *
     * @param context the gradients, weights and ops of the step
     * @return the pre-clip norm, the applied coefficient and whether anything changed
     */
    ClipOutcome apply(ClipContext context);

    /**
     * Returns the threshold this strategy clips at, in its own units, or {@code
     * Float.POSITIVE_INFINITY} when it never clips. Used for reports and charts.
     *
     * @return the threshold
     */
    float threshold();

    /**
     * Clips by the p-norm of all gradients taken as one vector, with the exact semantics of
     * PyTorch's {@code torch.nn.utils.clip_grad_norm_}, for {@code p = 2}.
     *
     * @param maxNorm the largest allowed total norm; finite and {@code > 0}
     * @return the strategy
     * @throws IllegalArgumentException if {@code maxNorm} is not finite or not positive
     * @see #globalNorm(float, float)
     */
    static ClipStrategy globalNorm(float maxNorm) {
        return new GlobalNormClip(maxNorm, 2f);
    }

    /**
     * Clips by the p-norm of all gradients taken as one vector, with the exact semantics of
     * PyTorch's {@code torch.nn.utils.clip_grad_norm_}:
     *
     * <pre>
     * total = ( sum_i ||g_i||_p^p )^(1/p)        (p = inf: max_i ||g_i||_inf), in float32
     * coef  = min(1, maxNorm / (total + 1e-6))
     * g_i  &lt;- g_i * coef                          for every i, always, with no branch
     * </pre>
     *
     * Below the threshold {@code coef} is exactly {@code 1.0f}, so the gradients stay
     * bit-identical. A non-finite total gives a NaN coefficient (or 0 for +inf), which poisons the
     * gradients, as in PyTorch; a loss scaler or {@code NonFinitePolicy} turns that step into a
     * skip.
     *
     * @param maxNorm the largest allowed total norm; finite and {@code > 0}
     * @param normType {@code p >= 1}, or {@link Float#POSITIVE_INFINITY}
     * @return the strategy
     * @throws IllegalArgumentException if {@code maxNorm} is not finite or not positive, or {@code
     *     normType} is NaN or below 1
     */
    static ClipStrategy globalNorm(float maxNorm, float normType) {
        return new GlobalNormClip(maxNorm, normType);
    }

    /**
     * Clamps every gradient element to {@code [-limit, limit]}, as PyTorch's {@code
     * torch.nn.utils.clip_grad_value_}. This changes the gradient's direction; prefer {@link
     * #globalNorm(float)} unless single elements are the problem.
     *
     * @param limit the bound; finite and {@code > 0}
     * @return the strategy
     * @throws IllegalArgumentException if {@code limit} is not finite or not positive
     */
    static ClipStrategy value(float limit) {
        return new ValueClip(limit);
    }

    /**
     * Applies the global-norm formula to each parameter's gradient separately: {@code g_i <- g_i *
     * min(1, maxNorm / (||g_i||_2 + 1e-6))}.
     *
     * @param maxNorm the largest allowed norm of one parameter's gradient; finite and {@code > 0}
     * @return the strategy
     * @throws IllegalArgumentException if {@code maxNorm} is not finite or not positive
     */
    static ClipStrategy perParameterNorm(float maxNorm) {
        return new PerParameterNormClip(maxNorm);
    }

    /**
     * Measures the total L2 norm and reports it, never changing a gradient bit (beyond the
     * context's multiplier, which is part of the true gradient, not of clipping). The model for
     * circuit breakers' metrics-only state: use it to learn a threshold before enforcing one.
     *
     * @return the strategy
     */
    static ClipStrategy observeOnly() {
        return ObserveOnlyClip.INSTANCE;
    }
}
