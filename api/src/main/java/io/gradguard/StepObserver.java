package io.gradguard;

/**
 * Receives every optimizer step of a {@link ClippingTrainingListener}, after clipping and before
 * the optimizer update, while the step's gradients are still reachable through {@link StepDetails}.
 * Observers power events, alerts, spike forensics and report files.
 *
 * <p>Called on the training thread. Whatever an observer throws, an {@link Error} such as {@link
 * AssertionError} or an undeclared checked exception included, is logged at WARN naming the
 * observer and never interrupts training; the other observers still receive the step. Only a {@link
 * VirtualMachineError} (such as {@link OutOfMemoryError} or {@link StackOverflowError}) propagates,
 * since the JVM may not be able to go on. Registering an observer makes the listener read each
 * step's report back from the device (one transfer per step).
 */
@FunctionalInterface
public interface StepObserver {

    /**
     * Called once per optimizer step.
     *
     * @param report the step's report, already read from the device
     * @param details lazy access to the step's gradients and batch identity; valid only during this
     *     call
     */
    void onStep(StepReport report, StepDetails details);

    /**
     * Called when an epoch ends (from DJL's {@code onEpoch}). Default: nothing.
     *
     * @param epoch the 0-based index of the epoch that ended
     */
    default void onEpochEnd(int epoch) {}

    /** Called when training ends (from DJL's {@code onTrainingEnd}). Default: nothing. */
    default void onTrainingEnd() {}
}
