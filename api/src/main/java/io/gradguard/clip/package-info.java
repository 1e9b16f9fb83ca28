/**
 * Clip strategies: how a step's gradients are measured and rescaled.
 *
 * <p>{@link io.gradguard.clip.ClipStrategy} is the contract and the factory of every built-in
 * strategy; {@link io.gradguard.clip.StatefulClipStrategy} adds the state that history-based
 * strategies save and restore. Implementations are package-private: a new strategy is one file
 * here, a factory method on {@code ClipStrategy}, a stable checkpoint name, and its test. {@link
 * io.gradguard.clip.GradientClipping} offers the same clips as one-call functions for custom loops.
 */
package io.gradguard.clip;
