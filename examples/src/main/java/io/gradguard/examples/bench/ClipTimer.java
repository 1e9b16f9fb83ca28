package io.gradguard.examples.bench;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Times clipping variants on one gradient set on one engine.
 *
 * <p>The set is drawn once from a standard normal distribution, and kept as a pristine copy: both
 * as the list of tensors and as one contiguous tensor of the same values (for the bandwidth floor).
 * Each trial restores the working tensors from the pristine copy (not timed), then times: opening a
 * sub-manager, temp-attaching the working tensors to it, the clip, reading one element of the last
 * working tensor back to the host (on MXNet also waiting for every queued operation), and closing
 * the sub-manager with every temporary. That is the work a training step pays for.
 *
 * <p>The bound is half the set's norm, so every trial really scales.
 */
final class ClipTimer implements AutoCloseable {

    private final String engineName;
    private final NDManager manager;
    private final List<NDArray> pristine = new ArrayList<>();
    private final List<NDArray> working = new ArrayList<>();
    private final NDArray flatPristine;
    private final NDArray flatWorking;
    private final float maxNorm;

    /**
     * Draws the set on the CPU of an engine.
     *
     * @param engineName {@code "PyTorch"} or {@code "MXNet"}
     * @param set the shapes
     * @param seed the engine's random seed
     */
    ClipTimer(String engineName, GradientSet set, int seed) {
        this.engineName = engineName;
        Engine.getEngine(engineName).setRandomSeed(seed);
        manager = NDManager.newBaseManager(Device.cpu(), engineName);
        NDList flatParts = new NDList(set.count());
        for (Shape shape : set.shapes()) {
            NDArray p = manager.randomNormal(shape);
            pristine.add(p);
            working.add(p.duplicate());
            flatParts.add(p.reshape(-1));
        }
        flatPristine = flatParts.size() == 1 ? flatParts.head() : NDArrays.concat(flatParts);
        flatWorking = flatPristine.duplicate();
        maxNorm = flatPristine.norm().getFloat() / 2;
    }

    /**
     * Returns the bound the variants clip to: half the norm of the set.
     *
     * @return the bound
     */
    float maxNorm() {
        return maxNorm;
    }

    /**
     * Returns {@code [1e-6, maxNorm, 1]} as 0-d float32 arrays that live as long as this timer.
     *
     * @return the constants of the floor variant
     */
    List<NDArray> floorConstants() {
        return List.of(
                manager.create(ClipVariants.EPS), manager.create(maxNorm), manager.create(1f));
    }

    /**
     * A clipping variant to time.
     *
     * @param name the key of its timing
     * @param run the clip
     * @param contiguous whether it runs on the one contiguous tensor instead of the list
     */
    record Variant(String name, ClipRun run, boolean contiguous) {}

    /**
     * Times variants side by side: each round runs every variant once, so that a slow spell of a
     * shared machine falls on all of them alike, starting one variant later each round.
     *
     * @param variants the variants, with distinct names
     * @param warmup untimed rounds first
     * @param trials timed rounds
     * @return the timings by variant name, in the variants' order
     */
    Map<String, Timing> timeInterleaved(List<Variant> variants, int warmup, int trials) {
        return timeInterleaved(variants, warmup, trials, 1, () -> {});
    }

    /**
     * As {@link #timeInterleaved(List, int, int)}, with the timed rounds split into {@code rounds}
     * parts and {@code betweenRounds} run (untimed) after each part, such as the PyTorch reference
     * on the same shapes.
     *
     * @param variants the variants, with distinct names
     * @param warmup untimed rounds first
     * @param trials timed rounds, at least {@code rounds}
     * @param rounds the number of parts
     * @param betweenRounds what runs after each part
     * @return the timings by variant name, in the variants' order
     */
    Map<String, Timing> timeInterleaved(
            List<Variant> variants, int warmup, int trials, int rounds, Runnable betweenRounds) {
        for (int i = 0; i < warmup; i++) {
            for (Variant v : variants) {
                trial(v);
            }
        }
        int n = variants.size();
        long[][] nanos = new long[n][trials];
        for (int i = 0; i < trials; i++) {
            // Rotate the order round by round, so that no variant always follows the same one
            // (the previous variant's freed memory and evicted caches are part of a trial).
            for (int j = 0; j < n; j++) {
                int k = (i + j) % n;
                nanos[k][i] = trial(variants.get(k));
            }
            if (endsRound(i, trials, rounds)) {
                betweenRounds.run();
            }
        }
        Map<String, Timing> out = new LinkedHashMap<>();
        for (int k = 0; k < variants.size(); k++) {
            out.put(variants.get(k).name(), Timing.ofNanos(nanos[k]));
        }
        return out;
    }

    /**
     * Returns whether timed trial {@code i} is the last of its part, when {@code trials} trials are
     * split into {@code rounds} parts as evenly as they go (part sizes differ by at most one).
     *
     * @param i the trial, from 0
     * @param trials the trials, at least 1
     * @param rounds the parts, from 1 to {@code trials}
     * @return true for exactly {@code rounds} values of {@code i}, the last being {@code trials -
     *     1}
     */
    static boolean endsRound(int i, int trials, int rounds) {
        return (long) (i + 1) * rounds / trials != (long) i * rounds / trials;
    }

    private long trial(Variant v) {
        return v.contiguous()
                ? trial(v.run(), List.of(flatWorking), List.of(flatPristine))
                : trial(v.run(), working, pristine);
    }

    /**
     * Runs a variant once on restored tensors and returns the tensors' values after it, for tests.
     *
     * @param run the variant
     * @param contiguous whether to run on the contiguous tensor
     * @return the clipped values, concatenated in list order
     */
    float[] clipOnce(ClipRun run, boolean contiguous) {
        List<NDArray> target = contiguous ? List.of(flatWorking) : working;
        List<NDArray> source = contiguous ? List.of(flatPristine) : pristine;
        trial(run, target, source);
        float[] out = new float[(int) target.stream().mapToLong(NDArray::size).sum()];
        int offset = 0;
        for (NDArray t : target) {
            float[] values = t.toFloatArray();
            System.arraycopy(values, 0, out, offset, values.length);
            offset += values.length;
        }
        return out;
    }

    /**
     * Returns the pristine values, concatenated in list order.
     *
     * @return the values before clipping
     */
    float[] pristineValues() {
        return flatPristine.toFloatArray();
    }

    /** Restores the targets (untimed), then times one clip as the class javadoc describes. */
    private long trial(ClipRun run, List<NDArray> target, List<NDArray> source) {
        for (int i = 0; i < target.size(); i++) {
            target.get(i).set(new NDIndex("..."), source.get(i));
        }
        DeviceSync.finish(target.get(target.size() - 1));
        long start = System.nanoTime();
        try (NDManager scope = manager.newSubManager()) {
            scope.tempAttachAll(target.toArray(new NDArray[0]));
            run.clip(target);
            DeviceSync.finish(target.get(target.size() - 1));
        }
        return System.nanoTime() - start;
    }

    /**
     * Returns the engine this timer runs on.
     *
     * @return the engine name
     */
    String engineName() {
        return engineName;
    }

    @Override
    public void close() {
        manager.close();
    }
}
