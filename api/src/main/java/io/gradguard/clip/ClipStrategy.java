package io.gradguard.clip;

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
 * ClipStrategy.agc(0.01f);                              // adaptive, unit-wise (NFNets)
 * ClipStrategy.autoClip();                              // percentile of the norm history
 * ClipStrategy.zClip(1f);                               // z-score spike clipping
 * ClipStrategy.calibrate(500);                          // observe, then recommend a threshold
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

    /**
     * Adaptive gradient clipping, unit-wise, with {@code lambda = 0.01}; see {@link #agc(float)}.
     *
     * @return the strategy
     */
    static ClipStrategy agc() {
        return new AdaptiveGradientClip(0.01f);
    }

    /**
     * Adaptive gradient clipping (AGC; Brock, De, Smith, Simonyan, 2021, "High-Performance
     * Large-Scale Image Recognition Without Normalization"): bounds each output unit's gradient
     * relative to its weight. For every unit {@code i} (a slice along a parameter's first axis,
     * which is the output axis in DJL's {@code out x in} layout; each element of a 0-d or 1-D
     * parameter such as a bias is its own unit, as in the paper's code):
     *
     * <pre>
     * max_i = lambda * max(||W_i||_2, 1e-3)
     * G_i  &lt;- G_i * max_i / max(||G_i||_2, 1e-6)      where ||G_i||_2 &gt; max_i, else unchanged
     * </pre>
     *
     * It runs on the device with no host synchronization and needs the weights ({@link
     * ClipContext#weights()}). The reported norm is the total L2 norm before clipping; the
     * coefficient is the smallest unit factor; {@link #threshold()} returns {@code lambda}. The
     * paper uses lambda = 0.01 to 0.16 and does not clip the final classifier layer; pass a context
     * without it to do the same.
     *
     * @param clipFactor lambda, the largest allowed ratio of gradient to weight norm; finite and
     *     {@code > 0}
     * @return the strategy
     * @throws IllegalArgumentException if {@code clipFactor} is not finite or not positive
     */
    static ClipStrategy agc(float clipFactor) {
        return new AdaptiveGradientClip(clipFactor);
    }

    /**
     * AutoClip at the 10th percentile of the last 10,000 norms; see {@link #autoClip(float, int)}.
     *
     * @return a new strategy (stateful: one per training run)
     */
    static StatefulClipStrategy autoClip() {
        return new AutoClip(10f, 10_000);
    }

    /**
     * AutoClip at a percentile of the last 10,000 norms; see {@link #autoClip(float, int)}.
     *
     * @param percentile p in (0, 100]
     * @return a new strategy (stateful: one per training run)
     * @throws IllegalArgumentException if {@code percentile} is outside (0, 100]
     */
    static StatefulClipStrategy autoClip(float percentile) {
        return new AutoClip(percentile, 10_000);
    }

    /**
     * AutoClip (Seetharaman, Wichern, Pardo, Le Roux, 2020, "AutoClip: Adaptive Gradient Clipping
     * for Source Separation Networks"): clips each step at a percentile of the history of total L2
     * norms, the current step's included.
     *
     * <pre>
     * history  &lt;- history + [g_t]                  (finite norms only; the last historySize kept)
     * t_t       = percentile_p(history)             (linear interpolation, numpy's default)
     * g        &lt;- g * min(1, t_t / (g_t + 1e-6))
     * </pre>
     *
     * For example, with history [5, 1, 3, 10, 2], p = 10 gives 1.4 and p = 50 gives 3.0. The paper
     * keeps the whole history; here it is a ring of at most {@code historySize} norms (grown as
     * norms arrive, then no allocation; O(historySize) work per step). Each step reads its norm
     * back to the host (one synchronization). {@link #threshold()} returns the latest threshold.
     *
     * <p>State keys: {@code strategy="autoClip"}, {@code percentile} (Float), {@code historySize}
     * (Integer), {@code history} (double[], oldest first), {@code threshold} (Float).
     *
     * @param percentile p in (0, 100]; the paper's default is 10
     * @param historySize how many recent norms are kept; in [1, 1,000,000]
     * @return a new strategy (stateful: one per training run)
     * @throws IllegalArgumentException if {@code percentile} is outside (0, 100] or {@code
     *     historySize} is outside [1, 1,000,000]
     */
    static StatefulClipStrategy autoClip(float percentile, int historySize) {
        return new AutoClip(percentile, historySize);
    }

    /**
     * ZClip with the paper's defaults ({@code alpha = 0.97}, {@code zThreshold = 2.5}, 25 warm-up
     * steps); see {@link #zClip(float, float, float, int)}.
     *
     * @param maxNorm the fixed threshold used during warm-up and as a ceiling afterwards; {@code >
     *     0}, or {@link Float#POSITIVE_INFINITY} for none
     * @return a new strategy (stateful: one per training run)
     * @throws IllegalArgumentException if {@code maxNorm} is NaN or not positive
     */
    static StatefulClipStrategy zClip(float maxNorm) {
        return new ZClip(maxNorm, 0.97f, 2.5f, 25);
    }

    /**
     * ZClip (Kumar, Owen, Roy Chowdhury, Güra, 2025, "ZClip: Adaptive Spike Mitigation for LLM
     * Pre-Training"): z-score spike detection on exponential moving averages of the total L2 norm
     * {@code g}, with reciprocal clipping, as the authors' reference code does it:
     *
     * <pre>
     * warm-up (first warmupSteps finite norms): clip at maxNorm; then mu = mean, var = population
     *         variance of those norms
     * after:  sigma = sqrt(var), z = (g - mu) / (sigma + 1e-6)
     *         z &gt; zThreshold:  c = mu + zThreshold^2 * sigma / z; clip at min(c, maxNorm); x = c
     *         otherwise:       clip at maxNorm;                           x = g
     *         mu  &lt;- alpha * mu  + (1 - alpha) * x                       (mean first)
     *         var &lt;- alpha * var + (1 - alpha) * (x - mu)^2              (with the new mu)
     * </pre>
     *
     * The EMA is updated with the clipped value on a spike, the raw norm otherwise. Clipping uses
     * {@code clip_grad_norm_}'s coefficient {@code min(1, t / (g + 1e-6))}; non-finite norms leave
     * the state unchanged. Each step reads its norm back to the host (one synchronization). {@link
     * #threshold()} returns the latest threshold.
     *
     * <p>State keys: {@code strategy="zClip"}, {@code maxNorm}, {@code alpha}, {@code zThreshold}
     * (Float), {@code warmupSteps} (Integer), {@code initialized} (Boolean), {@code warmupNorms}
     * (double[]), {@code mean}, {@code variance} (Double), {@code threshold} (Float).
     *
     * @param maxNorm the fixed threshold used during warm-up and as a ceiling afterwards; {@code >
     *     0}, or {@link Float#POSITIVE_INFINITY} for none
     * @param alpha the EMA smoothing factor, in (0, 1)
     * @param zThreshold the z-score above which a norm is a spike; finite and {@code > 0}
     * @param warmupSteps how many finite norms initialize the statistics; in [1, 1,000,000]
     * @return a new strategy (stateful: one per training run)
     * @throws IllegalArgumentException naming the first invalid argument
     */
    static StatefulClipStrategy zClip(
            float maxNorm, float alpha, float zThreshold, int warmupSteps) {
        return new ZClip(maxNorm, alpha, zThreshold, warmupSteps);
    }

    /**
     * Observes the total L2 norm for {@code steps} steps without clipping, then logs the
     * distribution it saw and recommends its 98th percentile, without adopting it; see {@link
     * #calibrate(int, float, boolean)}.
     *
     * @param steps how many finite norms to observe; in [1, 1,000,000]
     * @return a new strategy (stateful: one per training run)
     * @throws IllegalArgumentException if {@code steps} is outside [1, 1,000,000]
     */
    static ThresholdCalibration calibrate(int steps) {
        return new CalibratingClip(steps, 98f, false);
    }

    /**
     * A threshold advisor: observes the true total L2 norm for {@code steps} steps without
     * clipping, then logs the distribution it saw (min, p50, p90, p98, p99, max) and recommends
     * {@code percentile_p(observed)} (linear interpolation). With {@code adopt}, it clips from the
     * next step on at that threshold with {@link #globalNorm(float)}'s semantics; otherwise it
     * keeps observing. Only finite norms count toward {@code steps}. Each step reads its norm back
     * to the host (one synchronization). {@link #threshold()} is {@code +inf} until a threshold is
     * adopted.
     *
     * <p>State keys: {@code strategy="calibrate"}, {@code steps} (Integer), {@code percentile}
     * (Float), {@code adopt} (Boolean), {@code observed} (double[]).
     *
     * @param steps how many finite norms to observe; in [1, 1,000,000]
     * @param percentile p in (0, 100]; 95 to 99 is the usual advice
     * @param adopt whether to clip at the recommendation once it is known
     * @return a new strategy (stateful: one per training run)
     * @throws IllegalArgumentException if {@code steps} is outside [1, 1,000,000] or {@code
     *     percentile} is outside (0, 100]
     */
    static ThresholdCalibration calibrate(int steps, float percentile, boolean adopt) {
        return new CalibratingClip(steps, percentile, adopt);
    }
}
