package io.gradguard.it;

import ai.djl.ndarray.index.NDIndex;

/** Row-major flat positions for the tests that write one element of a gradient. */
public final class FlatIndex {

    private FlatIndex() {}

    /**
     * Turns a row-major flat position into per-dimension coordinates.
     *
     * @param shape the array's shape
     * @param flat a position in {@code [0, size)}
     * @return the index of that element
     */
    public static NDIndex of(long[] shape, long flat) {
        long[] coordinates = new long[shape.length];
        for (int d = shape.length - 1; d >= 0; d--) {
            coordinates[d] = flat % shape[d];
            flat /= shape[d];
        }
        return new NDIndex(coordinates);
    }
}
