package io.gradguard.internal;

import org.slf4j.Logger;

/**
 * Runs code supplied by users (report consumers, step observers, event consumers) so that nothing
 * it throws reaches training.
 *
 * <p>The contract: every {@link Throwable} is caught, {@link Error}s such as {@link AssertionError}
 * and checked exceptions thrown without being declared included, and logged at WARN with the
 * callback named; training goes on. The one exception is {@link VirtualMachineError} ({@link
 * OutOfMemoryError}, {@link StackOverflowError}, {@link InternalError}): the JVM may be unable to
 * continue, so it propagates. A caught {@link InterruptedException} restores the thread's interrupt
 * status.
 */
public final class UserCallbacks {

    private UserCallbacks() {}

    /**
     * Runs a user callback, logging anything it throws except a {@link VirtualMachineError}.
     *
     * @param callback the callback
     * @param logger where to log a failure
     * @param format the WARN message, an SLF4J pattern that names the callback
     * @param args the pattern's arguments; the throwable is appended
     * @return {@code true} if the callback returned normally
     * @throws VirtualMachineError if the callback threw one
     */
    public static boolean run(Runnable callback, Logger logger, String format, Object... args) {
        try {
            callback.run();
            return true;
        } catch (VirtualMachineError fatal) {
            throw fatal;
        } catch (Throwable t) {
            if (t instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            Object[] withThrowable = java.util.Arrays.copyOf(args, args.length + 1);
            withThrowable[args.length] = t;
            logger.warn(format, withThrowable);
            return false;
        }
    }
}
