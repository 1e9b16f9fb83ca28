/**
 * The compatibility kit of {@link io.gradguard.spi.GradientOps}: one set of TestNG tests that every
 * implementation, on every engine, runs in its own build.
 *
 * <p>An implementation's test is a short subclass of {@link
 * io.gradguard.testkit.GradientOpsContractKit} that supplies the implementation ({@code ops()}) and
 * the DJL engine its arrays live on ({@code engineName()}); every test method of the kit then runs
 * against it. The kit checks every method of the SPI: norms, clipping and clamping against vectors
 * PyTorch wrote ({@link io.gradguard.testkit.ClipVectors}, shipped in this jar), properties of
 * seeded random gradient sets, the non-finite rules, arguments and bookkeeping, and, through real
 * backward passes on DJL's public API, {@code discardGradients} and {@code prepareAccumulation}.
 * Hooks ({@code supportsFloat16()}, {@code reachesFrozenGradients()}) skip, with a reason, the
 * tests an engine or implementation cannot take.
 *
 * <p>Add {@code io.gradguard:gradguard-test-kit} with test scope; it brings TestNG.
 */
package io.gradguard.testkit;
