package io.gradguard.examples.bench;

import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * The shapes of a set of gradient tensors to clip, and a label for the table.
 *
 * @param label how the table names the set, such as {@code "20 x 50000"}
 * @param shapes one shape per tensor, at least one
 */
record GradientSet(String label, List<Shape> shapes) {

    /** Validates the set and makes the shape list immutable. */
    public GradientSet {
        if (label == null || label.isBlank()) {
            throw new IllegalArgumentException("label must not be blank, got " + label);
        }
        if (shapes == null || shapes.isEmpty()) {
            throw new IllegalArgumentException("shapes must hold at least one shape: " + shapes);
        }
        shapes = List.copyOf(shapes);
    }

    /**
     * Returns {@code count} one-dimensional tensors of {@code size} elements each.
     *
     * @param count the number of tensors, at least 1
     * @param size the elements per tensor, at least 1
     * @return the set, labelled {@code "count x size"}
     * @throws IllegalArgumentException if a value is below 1
     */
    public static GradientSet uniform(int count, int size) {
        if (count < 1 || size < 1) {
            throw new IllegalArgumentException(
                    "count and size must be >= 1, got count=" + count + ", size=" + size);
        }
        return new GradientSet(count + " x " + size, Collections.nCopies(count, new Shape(size)));
    }

    /**
     * Returns the shapes of a transformer-shaped model at width 256: an embedding of 30,000 x 256;
     * 12 blocks, each with query, key, value and output projections (256 x 256, with biases), two
     * layer norms (weight and bias) and an MLP of 256 -> 1024 -> 256 with biases; a final layer
     * norm. 195 tensors, 17,157,632 floats (the same set as {@code
     * tools/bench/torch_guard_bench.py}).
     *
     * @return the set, labelled {@code "transformer (195 tensors, 17157632)"}
     */
    public static GradientSet transformer() {
        int width = 256;
        List<Shape> shapes = new ArrayList<>();
        shapes.add(new Shape(30000, width));
        for (int block = 0; block < 12; block++) {
            for (int projection = 0; projection < 4; projection++) {
                shapes.add(new Shape(width, width));
                shapes.add(new Shape(width));
            }
            for (int norm = 0; norm < 4; norm++) {
                shapes.add(new Shape(width));
            }
            shapes.add(new Shape(4 * width, width));
            shapes.add(new Shape(4 * width));
            shapes.add(new Shape(width, 4 * width));
            shapes.add(new Shape(width));
        }
        shapes.add(new Shape(width));
        shapes.add(new Shape(width));
        GradientSet set = new GradientSet("transformer", shapes);
        return new GradientSet(
                "transformer (" + set.count() + " tensors, " + set.totalSize() + ")", shapes);
    }

    /**
     * Parses a uniform set written {@code COUNTxSIZE}, such as {@code "100x10000"}.
     *
     * @param spec the text
     * @return the set
     * @throws IllegalArgumentException if the text is not of that form
     */
    public static GradientSet parseUniform(String spec) {
        String[] parts = spec.trim().toLowerCase(java.util.Locale.ROOT).split("x");
        if (parts.length != 2) {
            throw new IllegalArgumentException(
                    "a gradient set is COUNTxSIZE (such as 100x10000) or lstm, got " + spec);
        }
        try {
            return uniform(Integer.parseInt(parts[0].trim()), Integer.parseInt(parts[1].trim()));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(
                    "a gradient set is COUNTxSIZE (such as 100x10000) or lstm, got " + spec, e);
        }
    }

    /**
     * Returns the number of tensors.
     *
     * @return the count
     */
    public int count() {
        return shapes.size();
    }

    /**
     * Returns the total number of elements of all tensors.
     *
     * @return the sum of the shapes' sizes
     */
    public long totalSize() {
        long total = 0;
        for (Shape s : shapes) {
            total += s.size();
        }
        return total;
    }

    /**
     * Returns the shapes as text, for the report, such as {@code "[(64, 32), (256, 32)]"}.
     *
     * @return the shapes
     */
    public String describeShapes() {
        List<String> out = new ArrayList<>(shapes.size());
        for (Shape s : shapes) {
            out.add(s.toString());
        }
        return out.toString();
    }
}
