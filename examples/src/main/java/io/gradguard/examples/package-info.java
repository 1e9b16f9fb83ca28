/**
 * The GradGuard demo: a churn LSTM whose training explodes without gradient clipping and trains
 * cleanly with it, on DJL's PyTorch and MXNet engines. Entry point: {@link
 * io.gradguard.examples.ChurnDemo}.
 *
 * <h2>How the failure arises</h2>
 *
 * Nothing injects NaN or scales a gradient by hand; the failure comes from the data and the model.
 *
 * <ol>
 *   <li><b>Data.</b> {@link io.gradguard.examples.ChurnDataGenerator} builds the padding mask by
 *       adding 1 per event into the event's day slot. Ordinary users have at most two events a day,
 *       so the mask looks like 0/1; a power user's days carry hundreds to thousands.
 *   <li><b>Model.</b> {@link io.gradguard.examples.ChurnLstmBlock} pools {@code mask_t (h_t + x_t)}
 *       over the window. For a power user the pooled vector is hundreds of times larger, and
 *       through the residual path {@code x_t = E[type_t]} the logit is bilinear in the output
 *       weights {@code w} and the embeddings {@code E}, with no saturating gate in between. The
 *       batch's gradient spikes to tens or hundreds of times the usual norm (median about 0.1,
 *       spikes 30-90).
 *   <li><b>Optimizer.</b> SGD with momentum moves the weights by {@code lr} times the gradient. An
 *       unclipped spike multiplies {@code |w|} and {@code |E|}, and since each one's gradient is
 *       proportional to the other, the next power-user batch gives a larger spike: the norms grow
 *       geometrically (1e3, 1e9, 1e18), the logits overflow float32, and {@code max(z, 0) - z y}
 *       becomes {@code inf - inf = NaN}. Every weight is NaN one step later.
 *   <li><b>Clipping.</b> {@code ClipStrategy.globalNorm(1)} scales each spike to norm 1 ({@code
 *       coef = max / norm}) before the update, so no step moves the weights by more than {@code lr}
 *       (times the momentum's gain), the feedback never starts, and only the power-user batches are
 *       clipped (about a tenth of the steps).
 * </ol>
 *
 * <h2>Why not AdamW</h2>
 *
 * AdamW divides each coordinate's first moment by the root of its second moment: one spike moves a
 * coordinate by about {@code lr (1 - beta1) / sqrt(1 - beta2) ~ 3 lr}, and any sequence of
 * gradients by at most about {@code 7 lr} per step, whatever their scale. Weights then grow at most
 * linearly, an LSTM's forward values are bounded (sigmoid and tanh gates, {@code |c_t| <= t}), and
 * DJL's loss on logits cannot overflow; a NaN would need a gradient that itself overflows float32,
 * that is recurrent Jacobians above 1 multiplied over hundreds of steps (Pascanu, Mikolov and
 * Bengio, ICML 2013), and the spikes drive the LSTM into saturation instead. With {@code
 * --optimizer adamw} the unguarded run stays finite and the demo says so.
 *
 * <h2>What clipping does not do</h2>
 *
 * Clipping keeps training alive; it does not repair the data. The power users' logits still grow
 * with their event counts, so the guarded run's training loss stays well above the ordinary users'
 * validation loss. The fix for the data is a 0/1 mask.
 *
 * <h2>The practice, step by step</h2>
 *
 * {@link io.gradguard.examples.EngineStory} takes each engine through it: {@link
 * io.gradguard.examples.Measurement} observes the unclipped norms with the weights frozen and takes
 * the recommended threshold from {@code ClipStrategy.calibrate}; the clipped runs finish; a {@code
 * ClipRateMonitor} alerts because far more than 10% of the steps clip (the symptom); {@code
 * SpikeForensics} names the spike batches' dataset indices, which {@link
 * io.gradguard.examples.Attribution} scores against the generator's power users, and classifies the
 * cause as data; the run on the 0/1 mask, clipping kept, clips rarely and raises no alert. {@link
 * io.gradguard.examples.StoryCheck} turns each of these points into the exit code.
 */
package io.gradguard.examples;
