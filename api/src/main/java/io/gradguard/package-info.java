/**
 * The guard: install it, and read what it did.
 *
 * <p>{@link io.gradguard.ClippingTrainingListener} (built by {@link
 * io.gradguard.ClippingTrainingListenerBuilder}), {@link io.gradguard.GuardedOptimizer} and {@link
 * io.gradguard.ScaledLoss} are the three cooperating parts that {@link
 * io.gradguard.GradGuard#trainingConfig} installs on a DJL training configuration; {@link
 * io.gradguard.GuardedTraining} drives a custom loop. Each step reports a {@link
 * io.gradguard.StepReport} to {@link io.gradguard.StepObserver}s; {@link
 * io.gradguard.GuardCheckpoint} saves and restores the guard's state.
 *
 * <p>The order of one guarded step (backward, unscale, check, clip, decide, step or skip) is
 * written once, in the package-private {@code StepRunner}, which owns the step; the other
 * package-private classes here are its machinery. The policies live beside this package: clip
 * strategies in {@link io.gradguard.clip}, loss scaling in {@link io.gradguard.scale}, what an
 * engine implements in {@link io.gradguard.spi}, events in {@link io.gradguard.event}, observers in
 * {@link io.gradguard.observe}. {@link io.gradguard.internal} holds helpers shared across these
 * packages; it is not API.
 */
package io.gradguard;
