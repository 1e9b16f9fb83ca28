package io.gradguard.internal;

import java.util.Arrays;

/**
 * The last {@code capacity} values of a stream, kept both in arrival order and sorted, so that a
 * percentile costs O(1) and an insertion O(capacity) (two array moves). Storage grows with the
 * values kept (doubling, from at most 64 slots) up to {@code capacity}, so a large capacity costs
 * memory only once that many values have arrived; no allocation once the window is full.
 *
 * <p>Percentiles use linear interpolation between closest ranks, numpy's default ({@code
 * method="linear"}): for {@code n} sorted values {@code v} and {@code q} in [0, 100], the virtual
 * index is {@code h = (n - 1) q / 100}; with {@code i = floor(h)} and {@code t = h - i}, the result
 * is {@code v[i] + (v[i+1] - v[i]) t} when {@code t < 0.5}, else {@code v[i+1] - (v[i+1] - v[i]) (1
 * - t)} (numpy's two-sided form, which keeps the result monotonic in {@code q}).
 *
 * <p>Not thread-safe. Values must not be NaN (callers filter non-finite values).
 */
public final class RollingPercentile {

    private static final int INITIAL_SLOTS = 64;

    private final int capacity;
    private double[] ring;
    private double[] sorted;
    private int size;
    private int next;

    /**
     * Creates an empty window.
     *
     * @param capacity how many of the latest values are kept; {@code >= 1}
     * @throws IllegalArgumentException if {@code capacity < 1}
     */
    public RollingPercentile(int capacity) {
        if (capacity < 1) {
            throw new IllegalArgumentException("capacity must be >= 1, got " + capacity);
        }
        this.capacity = capacity;
        this.ring = new double[Math.min(capacity, INITIAL_SLOTS)];
        this.sorted = new double[ring.length];
    }

    /**
     * Returns the largest number of values kept.
     *
     * @return the capacity
     */
    public int capacity() {
        return capacity;
    }

    /**
     * Returns the number of values kept now.
     *
     * @return {@code min(added, capacity)}
     */
    public int size() {
        return size;
    }

    /**
     * Adds a value, evicting the oldest one when the window is full.
     *
     * @param value the value; not NaN
     * @throws IllegalArgumentException if {@code value} is NaN
     */
    public void add(double value) {
        if (Double.isNaN(value)) {
            throw new IllegalArgumentException("value must not be NaN");
        }
        if (size == capacity) {
            double evicted = ring[next];
            int at = Arrays.binarySearch(sorted, 0, size, evicted);
            System.arraycopy(sorted, at + 1, sorted, at, size - at - 1);
            size--;
        } else if (size == ring.length) {
            // Not full yet, so the ring has not wrapped: its values are in arrival order from 0.
            int grown = (int) Math.min(capacity, 2L * ring.length);
            ring = Arrays.copyOf(ring, grown);
            sorted = Arrays.copyOf(sorted, grown);
        }
        ring[next] = value;
        next = (next + 1) % capacity;
        int at = Arrays.binarySearch(sorted, 0, size, value);
        if (at < 0) {
            at = -at - 1;
        }
        System.arraycopy(sorted, at, sorted, at + 1, size - at);
        sorted[at] = value;
        size++;
    }

    /**
     * Returns the {@code q}-th percentile of the kept values, numpy's linear method.
     *
     * @param q the percentile, in [0, 100]
     * @return the percentile, or NaN when the window is empty
     * @throws IllegalArgumentException if {@code q} is outside [0, 100]
     */
    public double percentile(double q) {
        if (!(q >= 0 && q <= 100)) {
            throw new IllegalArgumentException("percentile must be in [0, 100], got " + q);
        }
        if (size == 0) {
            return Double.NaN;
        }
        return interpolate(sorted, size, q);
    }

    /**
     * Returns the kept values in arrival order, oldest first (a new array).
     *
     * @return the values
     */
    public double[] toArray() {
        double[] out = new double[size];
        int start = size == capacity ? next : 0;
        for (int i = 0; i < size; i++) {
            out[i] = ring[(start + i) % capacity];
        }
        return out;
    }

    /** Forgets every value. */
    public void clear() {
        size = 0;
        next = 0;
    }

    /**
     * Returns the {@code q}-th percentile of the first {@code n} values of a sorted array, numpy's
     * linear method (see the class comment).
     *
     * @param sorted values in ascending order
     * @param n how many of them count; {@code >= 1}
     * @param q the percentile, in [0, 100]
     * @return the percentile
     */
    public static double interpolate(double[] sorted, int n, double q) {
        double h = (n - 1) * (q / 100.0);
        int i = (int) Math.floor(h);
        if (i >= n - 1) {
            return sorted[n - 1];
        }
        double t = h - i;
        double lo = sorted[i];
        double hi = sorted[i + 1];
        double diff = hi - lo;
        return t >= 0.5 ? hi - diff * (1 - t) : lo + diff * t;
    }
}
