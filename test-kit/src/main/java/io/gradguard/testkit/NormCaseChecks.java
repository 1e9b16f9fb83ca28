package io.gradguard.testkit;

import static org.testng.Assert.assertEquals;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.List;

/**
 * What a global-norm clip must leave behind for a PyTorch {@link ClipVectors.NormCase}: the total
 * norm it returns, the clipped gradients in their own dtype, and the coefficient it applied.
 */
public final class NormCaseChecks {

    private NormCaseChecks() {}

    /**
     * Returns the norm cases as data-provider rows, after checking that the file holds exactly the
     * cases the generator writes (an empty or truncated file must fail, not pass with no rows).
     *
     * @return one row {@code {case}} per case, in file order
     */
    public static Object[][] rows() {
        List<ClipVectors.NormCase> all = ClipVectors.get().normCases();
        long float16 = all.stream().filter(c -> c.dataType() == DataType.FLOAT16).count();
        assertEquals(float16, ClipVectors.FLOAT16_NORM_CASES, "float16 norm cases in the file");
        assertEquals(all.size() - float16, ClipVectors.FLOAT32_NORM_CASES, "float32 norm cases");
        return all.stream().map(c -> new Object[] {c}).toArray(Object[][]::new);
    }

    /**
     * Asserts that a clip of {@code c.grads()} by {@code c.maxNorm()} matches PyTorch.
     *
     * <p>The coefficient is read back from the gradients. Where the threshold is at least 1.5 times
     * the norm, PyTorch's coefficient is exactly 1 and every gradient must keep its bits. Elsewhere
     * the least-squares factor between the gradients before and after, {@code sum(after * before) /
     * sum(before^2)} in double, must equal {@code clip_coef} within the norms' tolerance (each
     * clipped value is rounded once, which moves the factor by less than one rounding of the
     * gradient's dtype).
     *
     * @param c the case
     * @param grads the gradients after clipping
     * @param total the norm the clip returned
     * @param what names the run in failure messages
     */
    public static void assertClippedLikePyTorch(
            ClipVectors.NormCase c, List<NDArray> grads, NDArray total, String what) {
        assertEquals(total.getDataType(), DataType.FLOAT32, what + ": norm dtype");
        assertEquals(total.getShape(), new Shape(), what + ": norm shape");
        Tolerance tolerance = Tolerance.forNorms(c.dataType());
        tolerance.assertClose(total.getFloat(), c.totalNormFp32(), what + ": norm");
        for (NDArray g : grads) {
            assertEquals(g.getDataType(), c.dataType(), what + ": dtype kept");
        }
        List<HostTensor> after = HostTensor.of(grads);
        Tolerance.forClipped(c.dataType()).assertClose(after, c.clipped(), what + ": clipped");
        if (c.maxNorm() >= 1.5 * c.totalNormFp32()) {
            assertEquals(c.clipCoef(), 1f, what + ": PyTorch's coefficient below the threshold");
            Tolerance.EXACT.assertClose(after, c.grads(), what + ": a coefficient of 1");
            return;
        }
        double[] before = HostTensor.concat(c.grads());
        double[] now = HostTensor.concat(after);
        double dot = 0;
        double square = 0;
        for (int i = 0; i < before.length; i++) {
            dot += now[i] * before[i];
            square += before[i] * before[i];
        }
        tolerance.assertClose((float) (dot / square), c.clipCoef(), what + ": coefficient");
    }
}
