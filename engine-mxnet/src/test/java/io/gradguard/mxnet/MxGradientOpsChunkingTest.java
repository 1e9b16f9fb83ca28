package io.gradguard.mxnet;

import static org.testng.Assert.assertEquals;

import ai.djl.ndarray.NDArray;
import java.util.ArrayList;
import java.util.List;
import org.testng.annotations.Test;

/**
 * {@link MxGradientOps} on 1,000 gradients, five times {@code multi_all_finite}'s limit of 200
 * arrays per call (more crashes the JVM).
 *
 * <p>Gradient {@code i} is {@code [0, i, 0]}: its L2 norm is {@code i} (exact in float32), the
 * total is {@code sqrt(sum_{i<1000} i^2) = sqrt(999 * 1000 * 1999 / 6) = sqrt(332833500) =
 * 18243.725}.
 */
public class MxGradientOpsChunkingTest extends MxOpsTestBase {

    private static final int COUNT = 1000;

    private List<NDArray> grads(int badIndex, float badValue) {
        List<NDArray> grads = new ArrayList<>(COUNT);
        for (int i = 0; i < COUNT; i++) {
            grads.add(step.create(new float[] {0f, i == badIndex ? badValue : i, 0f}));
        }
        return grads;
    }

    @Test
    public void perTensorNormsOfAThousandGradients() {
        float[] norms = ops.perTensorNorms(grads(-1, 0f), 2f).toFloatArray();
        assertEquals(norms.length, COUNT);
        for (int i = 0; i < COUNT; i++) {
            assertEquals(norms[i], i, 0f, "gradient " + i);
        }
    }

    @Test
    public void totalNormOfAThousandGradients() {
        assertEquals(ops.totalNorm(grads(-1, 0f), 2f).getFloat(), 18243.725f, 0.02f);
    }

    @Test
    public void finiteThousandGivesZero() {
        assertEquals(ops.nonFiniteFlag(grads(-1, 0f)).getFloat(), 0f);
    }

    @Test
    public void nanInEveryChunkPositionIsFound() {
        // first chunk (later chunks must not reset the output), a middle one, the last array
        for (int bad : new int[] {0, 199, 200, 517, 999}) {
            assertEquals(ops.nonFiniteFlag(grads(bad, Float.NaN)).getFloat(), 1f, "NaN at " + bad);
        }
        assertEquals(ops.nonFiniteFlag(grads(950, Float.NEGATIVE_INFINITY)).getFloat(), 1f);
    }

    @Test
    public void unscaleAndZeroAThousandGradients() {
        List<NDArray> grads = grads(999, Float.POSITIVE_INFINITY);
        assertEquals(ops.unscaleAndCheck(grads, step.create(0.5f)).getFloat(), 1f);
        assertEquals(grads.get(998).toFloatArray(), new float[] {0f, 499f, 0f});
        ops.zeroInPlace(grads);
        for (int i = 0; i < COUNT; i++) {
            assertEquals(grads.get(i).toFloatArray(), new float[3], "gradient " + i);
        }
    }
}
