/**
 * Loss scaling for float16 training: {@link io.gradguard.scale.LossScaler} with its fixed and
 * dynamic implementations (package-private) and the range a scale must stay within. The dynamic
 * rule follows PyTorch's {@code GradScaler}: halve on overflow, double after a run of clean steps.
 */
package io.gradguard.scale;
