package io.gradguard.it;

import static org.testng.Assert.assertEquals;
import static org.testng.Assert.assertFalse;
import static org.testng.Assert.assertSame;
import static org.testng.Assert.assertThrows;
import static org.testng.Assert.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.gradguard.spi.GradientOps;
import java.util.ArrayList;
import java.util.List;
import org.testng.SkipException;
import org.testng.annotations.AfterClass;
import org.testng.annotations.AfterMethod;
import org.testng.annotations.BeforeClass;
import org.testng.annotations.BeforeMethod;
import org.testng.annotations.DataProvider;
import org.testng.annotations.Test;

/**
 * The contract of {@link GradientOps}, run against one implementation on one engine. Each
 * implementation's test is a short subclass that supplies {@link #ops()} and {@link #engineName()}.
 *
 * <p>Numbers are checked three ways: literal vectors written by PyTorch ({@link ClipVectors}),
 * properties of random seeded gradient sets, and the non-finite and bookkeeping rules of the SPI's
 * javadoc. Clipping is done as the contract prescribes: {@code coef = min(1, maxNorm / (total +
 * 1e-6))} as arrays from {@link GradientOps#totalNorm}, applied with {@link
 * GradientOps#scaleInPlace}.
 *
 * <p>Every test runs in its own sub-manager of a per-class base manager on the CPU.
 */
public abstract class GradientOpsContractKit {

    /** The epsilon of {@code torch.nn.utils.clip_grad_norm_}. */
    private static final float EPS = 1e-6f;

    private static final float[] NORM_TYPES = {1f, 2f, 3f, Float.POSITIVE_INFINITY};
    private static final int SEEDS = 12;

    private NDManager engineManager;
    private NDManager manager;

    /**
     * Returns the implementation under test.
     *
     * @return the ops
     */
    protected abstract GradientOps ops();

    /**
     * Returns the DJL engine the arrays are created on, {@code "PyTorch"} or {@code "MXNet"}.
     *
     * @return the engine name
     */
    protected abstract String engineName();

    /**
     * Tells whether the engine can hold float16 arrays; float16 tests skip where it cannot.
     *
     * @return true by default
     */
    protected boolean supportsFloat16() {
        return true;
    }

    /** Opens the base manager of this class on the CPU of {@link #engineName()}. */
    @BeforeClass
    public void openEngineManager() {
        engineManager = NDManager.newBaseManager(Device.cpu(), engineName());
    }

    /** Closes the base manager and everything left in it. */
    @AfterClass(alwaysRun = true)
    public void closeEngineManager() {
        if (engineManager != null) {
            engineManager.close();
        }
    }

    /** Opens the sub-manager that holds one test's arrays, as a training step would. */
    @BeforeMethod
    public void openStepManager() {
        manager = engineManager.newSubManager();
    }

    /** Closes the test's sub-manager. */
    @AfterMethod(alwaysRun = true)
    public void closeStepManager() {
        if (manager != null) {
            manager.close();
        }
    }

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
        assertEquals(ops().unscaleAndCheck(grads, manager.create(0.5f)).getFloat(), 0f);
        ops().zeroInPlace(grads);
        assertEquals(grads.get(0).getShape(), new Shape(0));
        assertEquals(grads.get(grads.size() - 1).getShape(), new Shape(2, 0));

        List<NDArray> onlyEmpty = create(List.of(host.get(0)), DataType.FLOAT32);
        assertEquals(ops().totalNorm(onlyEmpty, normType).getFloat(), 0f);
    }

    // ---- non-finite values -------------------------------------------------------------------

    /** The flag is a 0-d float32 0 when every value is finite. */
    @Test
    public void nonFiniteFlagIsZeroForFiniteGradients() {
        List<NDArray> grads = create(RandomGradients.draw(7), DataType.FLOAT32);
        NDArray flag = ops().nonFiniteFlag(grads);
        assertEquals(flag.getDataType(), DataType.FLOAT32);
        assertEquals(flag.getShape(), new Shape());
        assertEquals(flag.getFloat(), 0f);
    }

    /**
     * Supplies test parameters.
     *
     * @return NaN, +inf and -inf, each in the first, middle and last tensor
     */
    @DataProvider
    public Object[][] badValuesAndPositions() {
        List<Object[]> rows = new ArrayList<>();
        for (float bad :
                new float[] {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY}) {
            for (int position = 0; position < 3; position++) {
                rows.add(new Object[] {bad, position});
            }
        }
        return rows.toArray(Object[][]::new);
    }

    /**
     * One non-finite value in any tensor raises both {@link GradientOps#nonFiniteFlag} and {@link
     * GradientOps#unscaleAndCheck}.
     *
     * @param bad the non-finite value
     * @param position the index of the tensor that holds it
     */
    @Test(dataProvider = "badValuesAndPositions")
    public void nonFiniteFlagSeesEveryTensor(float bad, int position) {
        List<HostTensor> host = threeTensors();
        host.get(position).values()[position + 1] = bad;
        List<NDArray> grads = create(host, DataType.FLOAT32);
        assertEquals(ops().nonFiniteFlag(grads).getFloat(), 1f);
        assertEquals(ops().unscaleAndCheck(grads, manager.create(0.25f)).getFloat(), 1f);
    }

    /**
     * The same for float16 gradients.
     *
     * @param bad the non-finite value
     * @param position the index of the tensor that holds it
     */
    @Test(dataProvider = "badValuesAndPositions")
    public void nonFiniteFlagSeesEveryFloat16Tensor(float bad, int position) {
        requireFloat16();
        List<HostTensor> host = threeTensors();
        host.get(position).values()[0] = bad;
        assertEquals(ops().nonFiniteFlag(create(host, DataType.FLOAT16)).getFloat(), 1f);
    }

    /** Unscaling multiplies by {@code invScale} with one float32 rounding, and the flag stays 0. */
    @Test
    public void unscaleAndCheckMultipliesByInvScale() {
        for (float invScale : new float[] {1f / 1024, 0.1f, 3f}) {
            List<HostTensor> host = RandomGradients.draw(11);
            List<NDArray> grads = create(host, DataType.FLOAT32);
            NDArray flag = ops().unscaleAndCheck(grads, manager.create(invScale));
            assertEquals(flag.getShape(), new Shape());
            assertEquals(flag.getFloat(), 0f);
            List<HostTensor> after = HostTensor.of(grads);
            for (int t = 0; t < host.size(); t++) {
                float[] before = host.get(t).values();
                float[] expected = new float[before.length];
                for (int i = 0; i < before.length; i++) {
                    expected[i] = before[i] * invScale; // one float32 rounding, as the device
                }
                Tolerance.EXACT.assertClose(after.get(t).values(), expected, "x" + invScale);
            }
        }
    }

    /** Unscaling float16 gradients keeps their dtype and multiplies exactly by a power of two. */
    @Test
    public void unscaleAndCheckKeepsFloat16() {
        requireFloat16();
        List<HostTensor> host = threeTensors();
        List<NDArray> grads = create(host, DataType.FLOAT16);
        // 1/8 is a power of two: the float16 product is exact for these normal values.
        assertEquals(ops().unscaleAndCheck(grads, manager.create(0.125f)).getFloat(), 0f);
        for (int t = 0; t < host.size(); t++) {
            assertEquals(grads.get(t).getDataType(), DataType.FLOAT16);
            float[] expected = host.get(t).values().clone(); // float16 values, see threeTensors
            for (int i = 0; i < expected.length; i++) {
                expected[i] *= 0.125f;
            }
            Tolerance.EXACT.assertClose(grads.get(t).toFloatArray(), expected, "tensor " + t);
        }
    }

    /**
     * A factor below float16's range still scales float16 gradients: the product is rounded once,
     * not the factor.
     */
    @Test
    public void scaleInPlaceKeepsTinyFactorsForFloat16() {
        requireFloat16();
        List<NDArray> grads =
                create(
                        List.of(new HostTensor(new long[] {3}, new float[] {1024f, -2048f, 3f})),
                        DataType.FLOAT16);
        // 2^-27 is 0 in float16, but the products 2^-17, -2^-16 and 3 * 2^-27 (rounded to the
        // float16 subnormal step 2^-24: 0) are what a float32 multiply rounded once gives.
        ops().scaleInPlace(grads, manager.create(0x1p-27f));
        assertEquals(grads.get(0).getDataType(), DataType.FLOAT16);
        Tolerance.EXACT.assertClose(
                grads.get(0).toFloatArray(), new float[] {0x1p-17f, -0x1p-16f, 0f}, "products");
    }

    /** Zeroing turns NaN and infinities into exact zeros and keeps the dtype. */
    @Test
    public void zeroInPlaceClearsNaNAndInfinities() {
        List<DataType> types =
                supportsFloat16()
                        ? List.of(DataType.FLOAT32, DataType.FLOAT16)
                        : List.of(DataType.FLOAT32);
        for (DataType type : types) {
            float[] poison = {
                Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, -0f, 5f, Float.NaN
            };
            List<NDArray> grads =
                    create(
                            List.of(
                                    new HostTensor(new long[] {2, 3}, poison),
                                    new HostTensor(new long[] {1}, new float[] {Float.NaN})),
                            type);
            ops().zeroInPlace(grads);
            for (NDArray g : grads) {
                assertEquals(g.getDataType(), type);
                for (float v : g.toFloatArray()) {
                    assertEquals(v, 0f, type + ": " + v);
                }
            }
        }
    }

    /** Clamping bounds finite values and leaves NaN as NaN. */
    @Test
    public void clampKeepsNaN() {
        List<NDArray> grads =
                create(
                        List.of(
                                new HostTensor(
                                        new long[] {4}, new float[] {Float.NaN, 3f, -3f, 0.5f})),
                        DataType.FLOAT32);
        ops().clampInPlace(grads, 1f);
        float[] v = grads.get(0).toFloatArray();
        assertTrue(Float.isNaN(v[0]), "NaN stays NaN, got " + v[0]);
        assertEquals(v[1], 1f);
        assertEquals(v[2], -1f);
        assertEquals(v[3], 0.5f);
    }

    // ---- arguments and bookkeeping -----------------------------------------------------------

    /** Methods that return an array refuse an empty list with {@link IllegalArgumentException}. */
    @Test
    public void methodsReturningArraysRefuseAnEmptyList() {
        List<NDArray> none = List.of();
        NDArray one = manager.create(1f);
        assertThrows(IllegalArgumentException.class, () -> ops().perTensorNorms(none, 2f));
        assertThrows(IllegalArgumentException.class, () -> ops().totalNorm(none, 2f));
        assertThrows(IllegalArgumentException.class, () -> ops().nonFiniteFlag(none));
        assertThrows(IllegalArgumentException.class, () -> ops().unscaleAndCheck(none, one));
    }

    /**
     * Methods that return nothing accept an empty list, create no array and leave the factor as it
     * was.
     */
    @Test
    public void methodsReturningNothingAcceptAnEmptyList() {
        List<NDArray> none = List.of();
        NDArray factor = manager.create(0.5f);
        int arrays = engineManager.getManagedArrays().size();
        ops().scaleInPlace(none, factor);
        ops().clampInPlace(none, 1f);
        ops().zeroInPlace(none);
        assertEquals(engineManager.getManagedArrays().size(), arrays, "arrays created");
        assertEquals(factor.getFloat(), 0.5f, "the factor is not modified");
    }

    /** Norm types below 1, NaN and -inf are refused with {@link IllegalArgumentException}. */
    @Test
    public void invalidNormTypesAreRefused() {
        List<NDArray> grads = create(threeTensors(), DataType.FLOAT32);
        for (float p : new float[] {0.5f, 0f, -2f, Float.NaN, Float.NEGATIVE_INFINITY}) {
            assertThrows(IllegalArgumentException.class, () -> ops().totalNorm(grads, p));
            assertThrows(IllegalArgumentException.class, () -> ops().perTensorNorms(grads, p));
        }
    }

    /**
     * Results are attached to the manager of the first gradient: a step's sub-manager that
     * gradients were temp-attached to frees them, and gives the gradients back untouched.
     */
    @Test
    public void resultsBelongToTheManagerOfTheGradients() {
        NDManager model = engineManager.newSubManager();
        try {
            List<NDArray> grads = create(threeTensors(), DataType.FLOAT32);
            for (NDArray g : grads) {
                g.attach(model);
            }
            List<NDArray> results = new ArrayList<>();
            try (NDManager step = model.newSubManager()) {
                for (NDArray g : grads) {
                    g.tempAttach(step);
                }
                results.add(ops().perTensorNorms(grads, 2f));
                results.add(ops().totalNorm(grads, 3f));
                results.add(ops().nonFiniteFlag(grads));
                results.add(ops().unscaleAndCheck(grads, step.create(0.5f)));
                for (NDArray r : results) {
                    assertSame(r.getManager(), step);
                }
            }
            for (NDArray r : results) {
                assertTrue(r.isReleased(), "result freed with the step's manager");
            }
            for (NDArray g : grads) {
                assertFalse(g.isReleased(), "gradient given back to its own manager");
                assertSame(g.getManager(), model);
            }
        } finally {
            model.close();
        }
    }

    // ---- helpers -----------------------------------------------------------------------------

    /** Clips as the contract prescribes; returns the coefficient that was applied. */
    private NDArray clipByNorm(List<NDArray> grads, float maxNorm, float normType) {
        NDArray total = ops().totalNorm(grads, normType);
        NDArray coef = manager.create(maxNorm).div(total.add(EPS)).minimum(1f);
        ops().scaleInPlace(grads, coef);
        return coef;
    }

    private List<NDArray> create(List<HostTensor> tensors, DataType dataType) {
        if (dataType == DataType.FLOAT16) {
            requireFloat16();
        }
        return HostTensor.toNDArrays(tensors, manager, dataType);
    }

    private void requireFloat16() {
        if (!supportsFloat16()) {
            throw new SkipException(engineName() + " cannot hold float16 arrays");
        }
    }

    /** A fraction in [0.05, 0.95) that depends on the seed: how far below the norm to clip. */
    private static double fraction(long seed) {
        return 0.05 + 0.9 * ((seed * 0x9E3779B97F4A7C15L >>> 11) / (double) (1L << 53));
    }

    /** Three small tensors of ranks 1 to 3 whose values are exact in float16. */
    private static List<HostTensor> threeTensors() {
        List<HostTensor> out = new ArrayList<>();
        out.add(new HostTensor(new long[] {3}, new float[] {0.5f, -1.25f, 2f}));
        out.add(new HostTensor(new long[] {2, 2}, new float[] {-0.75f, 4f, 1.5f, -2.5f}));
        out.add(new HostTensor(new long[] {1, 2, 2}, new float[] {3f, -0.25f, 6f, 1f}));
        return out;
    }
}
