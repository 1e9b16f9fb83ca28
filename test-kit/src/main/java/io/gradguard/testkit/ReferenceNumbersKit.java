package io.gradguard.testkit;

import static org.testng.Assert.assertEquals;
import static org.testng.Assert.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.gradguard.spi.GradientOps;
import java.util.ArrayList;
import java.util.List;
import org.testng.annotations.DataProvider;
import org.testng.annotations.Test;

/**
 * The numbers of the {@link GradientOpsContractKit}: literal vectors written by PyTorch ({@link
 * ClipVectors}), properties of random seeded gradient sets, and zero-size tensors. Extend {@link
 * GradientOpsContractKit}, not this class.
 */
public abstract class ReferenceNumbersKit extends GradientOpsKitBase {

    private static final float[] NORM_TYPES = {1f, 2f, 3f, Float.POSITIVE_INFINITY};
    private static final int SEEDS = 12;

    // ---- literal vectors from PyTorch -------------------------------------------------------

    /**
     * Supplies test parameters, after checking the file holds every case the generator writes.
     *
     * @return one row per {@code clip_grad_norm_} case of the reference vectors
     */
    @DataProvider(propagateFailureAsTestFailure = true)
    public Object[][] normCases() {
        return NormCaseChecks.rows();
    }

    /**
     * Supplies test parameters, after checking the file holds every case the generator writes.
     *
     * @return one row per {@code clip_grad_value_} case of the reference vectors
     */
    @DataProvider(propagateFailureAsTestFailure = true)
    public Object[][] valueCases() {
        List<ClipVectors.ValueCase> cases = ClipVectors.get().valueCases();
        assertEquals(cases.size(), ClipVectors.VALUE_CASES, "value cases in the file");
        return cases.stream().map(c -> new Object[] {c}).toArray(Object[][]::new);
    }

    /**
     * Per-tensor norms equal {@code torch.linalg.vector_norm} of each gradient, taken in float32,
     * and leave the gradients untouched.
     *
     * @param c the case
     */
    @Test(dataProvider = "normCases")
    public void perTensorNormsMatchPyTorch(ClipVectors.NormCase c) {
        List<NDArray> grads = create(c.grads(), c.dataType());
        NDArray norms = ops().perTensorNorms(grads, c.normType());
        assertEquals(norms.getDataType(), DataType.FLOAT32);
        assertEquals(norms.getShape(), new Shape(grads.size()));
        Tolerance.forNorms(c.dataType())
                .assertClose(norms.toFloatArray(), c.perTensorNormsFp32(), c.name());
        Tolerance.EXACT.assertClose(HostTensor.of(grads), c.grads(), c.name() + " not modified");
    }

    /**
     * The total norm equals the one {@code clip_grad_norm_} returns for the float32 casts, as a 0-d
     * float32 array, and leaves the gradients untouched.
     *
     * @param c the case
     */
    @Test(dataProvider = "normCases")
    public void totalNormMatchesPyTorch(ClipVectors.NormCase c) {
        List<NDArray> grads = create(c.grads(), c.dataType());
        NDArray total = ops().totalNorm(grads, c.normType());
        assertEquals(total.getDataType(), DataType.FLOAT32);
        assertEquals(total.getShape(), new Shape());
        Tolerance.forNorms(c.dataType()).assertClose(total.getFloat(), c.totalNormFp32(), c.name());
        Tolerance.EXACT.assertClose(HostTensor.of(grads), c.grads(), c.name() + " not modified");
    }

    /**
     * Clipping with the contract's coefficient gives {@code clip_grad_norm_}'s coefficient and
     * gradients, in their own dtype.
     *
     * @param c the case
     */
    @Test(dataProvider = "normCases")
    public void normClippingMatchesPyTorch(ClipVectors.NormCase c) {
        List<NDArray> grads = create(c.grads(), c.dataType());
        NDArray coef = clipByNorm(grads, c.maxNorm(), c.normType());
        Tolerance.forNorms(c.dataType()).assertClose(coef.getFloat(), c.clipCoef(), c.name());
        for (NDArray g : grads) {
            assertEquals(g.getDataType(), c.dataType(), c.name() + ": dtype kept");
        }
        Tolerance.forClipped(c.dataType()).assertClose(HostTensor.of(grads), c.clipped(), c.name());
    }

    /**
     * {@link GradientOps#clipByGlobalNorm}, the one call a guarded step makes (overridden by the
     * fused implementations), returns {@code clip_grad_norm_}'s norm and leaves its gradients,
     * having applied its coefficient.
     *
     * @param c the case
     */
    @Test(dataProvider = "normCases")
    public void clipByGlobalNormMatchesPyTorch(ClipVectors.NormCase c) {
        List<NDArray> grads = create(c.grads(), c.dataType());
        NDArray total = ops().clipByGlobalNorm(grads, c.maxNorm(), c.normType());
        NormCaseChecks.assertClippedLikePyTorch(c, grads, total, ops().name() + " " + c.name());
    }

    /**
     * {@link GradientOps#clampInPlace} gives {@code clip_grad_value_}'s gradients exactly.
     *
     * @param c the case
     */
    @Test(dataProvider = "valueCases")
    public void valueClippingMatchesPyTorch(ClipVectors.ValueCase c) {
        List<NDArray> grads = create(c.grads(), c.dataType());
        ops().clampInPlace(grads, c.clipValue());
        // Clamping rounds nothing: the result must equal PyTorch's exactly.
        Tolerance.EXACT.assertClose(HostTensor.of(grads), c.clipped(), c.name());
    }

    // ---- properties of random gradient sets --------------------------------------------------

    /**
     * Supplies test parameters.
     *
     * @return a seed and a norm type (1, 2, 3 and inf in turn) per row
     */
    @DataProvider
    public Object[][] seedsAndNorms() {
        List<Object[]> rows = new ArrayList<>();
        for (long seed = 1; seed <= SEEDS; seed++) {
            rows.add(new Object[] {seed, NORM_TYPES[(int) (seed % NORM_TYPES.length)]});
        }
        return rows.toArray(Object[][]::new);
    }

    /**
     * After clipping, the total norm is at most {@code maxNorm * (1 + 1e-6)} and agrees with a
     * double-precision norm of the clipped values.
     *
     * @param seed the seed of the gradient set
     * @param normType the norm
     */
    @Test(dataProvider = "seedsAndNorms")
    public void clippedNormIsAtMostMaxNorm(long seed, float normType) {
        List<HostTensor> host = RandomGradients.draw(seed);
        float maxNorm = (float) (RandomGradients.norm(host, normType) * fraction(seed));
        List<NDArray> grads = create(host, DataType.FLOAT32);
        clipByNorm(grads, maxNorm, normType);
        float after = ops().totalNorm(grads, normType).getFloat();
        assertTrue(after <= maxNorm * (1 + 1e-6), after + " > " + maxNorm);
        Tolerance.FP32.assertClose(
                (float) RandomGradients.norm(HostTensor.of(grads), normType), after, "re-norm");
    }

    /**
     * Clipping scales all gradients by one factor: the cosine similarity of the concatenated
     * vectors before and after is 1.
     *
     * @param seed the seed of the gradient set
     * @param normType the norm
     */
    @Test(dataProvider = "seedsAndNorms")
    public void clippingKeepsTheDirection(long seed, float normType) {
        List<HostTensor> host = RandomGradients.draw(seed);
        float maxNorm = (float) (RandomGradients.norm(host, normType) * fraction(seed));
        List<NDArray> grads = create(host, DataType.FLOAT32);
        clipByNorm(grads, maxNorm, normType);
        double cosine = RandomGradients.cosine(host, HostTensor.of(grads));
        assertEquals(cosine, 1.0, 1e-6, "cosine similarity");
    }

    /**
     * Below the threshold the coefficient is exactly 1 and every gradient keeps its bits.
     *
     * @param seed the seed of the gradient set
     * @param normType the norm
     */
    @Test(dataProvider = "seedsAndNorms")
    public void belowTheThresholdGradientsAreBitIdentical(long seed, float normType) {
        List<HostTensor> host = RandomGradients.draw(seed);
        float maxNorm = (float) (RandomGradients.norm(host, normType) * (1.5 + fraction(seed)));
        List<NDArray> grads = create(host, DataType.FLOAT32);
        NDArray coef = clipByNorm(grads, maxNorm, normType);
        assertEquals(Float.floatToRawIntBits(coef.getFloat()), Float.floatToRawIntBits(1f));
        List<HostTensor> after = HostTensor.of(grads);
        for (int t = 0; t < host.size(); t++) {
            float[] before = host.get(t).values();
            float[] now = after.get(t).values();
            for (int i = 0; i < before.length; i++) {
                assertEquals(
                        Float.floatToRawIntBits(now[i]),
                        Float.floatToRawIntBits(before[i]),
                        "tensor " + t + " element " + i);
            }
        }
    }

    /**
     * {@link GradientOps#clipByGlobalNorm} below its bound returns the norm {@link
     * GradientOps#totalNorm} gives and leaves every gradient bit-identical; above it, the clipped
     * total is at most {@code maxNorm * (1 + 1e-6)}.
     *
     * @param seed the seed of the gradient set
     * @param normType the norm
     */
    @Test(dataProvider = "seedsAndNorms")
    public void clipByGlobalNormKeepsBitsBelowAndBoundsAbove(long seed, float normType) {
        List<HostTensor> host = RandomGradients.draw(seed);
        double norm = RandomGradients.norm(host, normType);
        List<NDArray> grads = create(host, DataType.FLOAT32);
        float expected = ops().totalNorm(grads, normType).getFloat();
        NDArray total = ops().clipByGlobalNorm(grads, (float) (norm * 1.5), normType);
        assertEquals(
                Float.floatToRawIntBits(total.getFloat()),
                Float.floatToRawIntBits(expected),
                "norm");
        Tolerance.EXACT.assertClose(HostTensor.of(grads), host, "below the bound");
        float maxNorm = (float) (norm * fraction(seed));
        ops().clipByGlobalNorm(grads, maxNorm, normType);
        float after = ops().totalNorm(grads, normType).getFloat();
        assertTrue(after <= maxNorm * (1 + 1e-6), after + " > " + maxNorm);
    }

    /**
     * Supplies test parameters.
     *
     * @return one row per norm type: 1, 2, 3 and inf
     */
    @DataProvider
    public Object[][] normTypes() {
        Object[][] rows = new Object[NORM_TYPES.length][];
        for (int i = 0; i < rows.length; i++) {
            rows[i] = new Object[] {NORM_TYPES[i]};
        }
        return rows;
    }

    /**
     * Zero-size tensors have norm 0, do not change the total, and every method accepts them.
     *
     * @param normType the norm
     */
    @Test(dataProvider = "normTypes")
    public void zeroSizeTensorsContributeNothing(float normType) {
        List<HostTensor> real = RandomGradients.draw(99);
        List<HostTensor> host = new ArrayList<>();
        host.add(new HostTensor(new long[] {0}, new float[0]));
        host.addAll(real);
        host.add(new HostTensor(new long[] {2, 0}, new float[0]));
        List<NDArray> grads = create(host, DataType.FLOAT32);

        float[] norms = ops().perTensorNorms(grads, normType).toFloatArray();
        assertEquals(norms[0], 0f);
        assertEquals(norms[norms.length - 1], 0f);
        float expected = ops().totalNorm(create(real, DataType.FLOAT32), normType).getFloat();
        Tolerance.FP32.assertClose(ops().totalNorm(grads, normType).getFloat(), expected, "total");
        assertEquals(ops().nonFiniteFlag(grads).getFloat(), 0f);
        clipByNorm(grads, expected / 2, normType);
        ops().clampInPlace(grads, 0.5f);
        assertEquals(ops().unscaleAndCheck(grads, manager().create(0.5f)).getFloat(), 0f);
        ops().zeroInPlace(grads);
        assertEquals(grads.get(0).getShape(), new Shape(0));
        assertEquals(grads.get(grads.size() - 1).getShape(), new Shape(2, 0));

        List<NDArray> onlyEmpty = create(List.of(host.get(0)), DataType.FLOAT32);
        assertEquals(ops().totalNorm(onlyEmpty, normType).getFloat(), 0f);
    }
}
