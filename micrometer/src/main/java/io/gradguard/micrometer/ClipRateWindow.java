package io.gradguard.micrometer;

/**
 * The share of clipped steps among the last {@code min(steps seen, window)} optimizer steps, with
 * the counting rule of {@link io.gradguard.observe.ClipRateMonitor}: a skipped step counts as not
 * clipped. One byte per slot, allocated once. Not thread-safe: its owner serializes the calls.
 */
final class ClipRateWindow {

    private final byte[] ring;
    private int next;
    private int clippedInWindow;
    private long seen;

    /**
     * Creates an empty window.
     *
     * @param size the number of steps in the window, already checked
     */
    ClipRateWindow(int size) {
        this.ring = new byte[size];
    }

    /**
     * Adds one step, dropping the oldest once the window is full.
     *
     * @param clipped whether the step's applied gradient was clipped
     * @return the rate over the steps now in the window, in [0, 1]
     */
    double add(boolean clipped) {
        byte value = (byte) (clipped ? 1 : 0);
        if (seen >= ring.length) {
            clippedInWindow -= ring[next];
        }
        ring[next] = value;
        clippedInWindow += value;
        next = (next + 1) % ring.length;
        seen++;
        return (double) clippedInWindow / Math.min(seen, ring.length);
    }
}
