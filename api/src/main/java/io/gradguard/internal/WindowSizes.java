package io.gradguard.internal;

/**
 * The one rule for the sizes of the windows and histories that strategies and monitors keep in
 * memory (AutoClip's history, ZClip's warm-up, calibration steps, the clip-rate window, the spike
 * window): at least 1 and at most {@link #MAX}.
 */
public final class WindowSizes {

    /**
     * The largest window: one million values, at most 16 MB of doubles, far beyond any useful
     * history (AutoClip's default is 10,000 steps).
     */
    public static final int MAX = 1_000_000;

    private WindowSizes() {}

    /**
     * Checks a window size.
     *
     * @param name the option's name, for the message
     * @param size the size
     * @return {@code size}
     * @throws IllegalArgumentException naming the option and the value if {@code size} is outside
     *     [1, {@link #MAX}]
     */
    public static int check(String name, int size) {
        if (size < 1 || size > MAX) {
            throw new IllegalArgumentException(name + " must be in [1, " + MAX + "], got " + size);
        }
        return size;
    }
}
