package io.gradguard.pytorch;

import static org.testng.Assert.assertEquals;
import static org.testng.Assert.assertFalse;
import static org.testng.Assert.assertTrue;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.IValue;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.GradientCollector;
import java.util.ArrayList;
import java.util.List;
import org.testng.annotations.AfterMethod;
import org.testng.annotations.BeforeMethod;
import org.testng.annotations.DataProvider;
import org.testng.annotations.Test;

/**
 * The module's float32-only path: {@link PtArguments#float32Only} says true exactly for lists of
 * non-empty float32 arrays, as the native tensors are; and for such a list every module method
 * gives the same bits whether it is told so (one {@code _foreach_norm}) or not (the per-tensor
 * loop), under every norm type, with NaN, infinities, a 0-d tensor, a non-contiguous view and a
 * tensor long enough to be reduced in parallel.
 */
public class PtFloat32OnlyPathTest {

    private static final TorchScriptOps MODULE = TorchScriptOps.shared();

    private NDManager manager;

    @BeforeMethod
    public void openManager() {
        PtGradientOps.load();
        manager = NDManager.newBaseManager(Device.cpu(), "PyTorch");
    }

    @AfterMethod(alwaysRun = true)
    public void closeManager() {
        manager.close();
    }

    @Test
    public void float32OnlyHoldsExactlyForNonEmptyFloat32Arrays() {
        PtNDArray matrix = (PtNDArray) manager.create(new float[] {1, 2, 3, 4}, new Shape(2, 2));
        PtNDArray scalar = (PtNDArray) manager.create(5f);
        PtNDArray view = matrix.transpose();
        PtNDArray half = matrix.toType(DataType.FLOAT16, false);
        PtNDArray empty = (PtNDArray) manager.create(new float[0]);
        PtNDArray doubles = (PtNDArray) manager.create(new double[] {1, 2});
        assertTrue(PtArguments.float32Only(new PtNDArray[] {matrix, scalar, view}));
        assertFalse(PtArguments.float32Only(new PtNDArray[] {matrix, half}));
        assertFalse(PtArguments.float32Only(new PtNDArray[] {empty, matrix}));
        assertFalse(PtArguments.float32Only(new PtNDArray[] {doubles}));
    }

    /**
     * A parameter cast to float16 after a backward keeps its float32 gradient (PyTorch leaves
     * {@code .grad} alone when {@code .data} changes), one cast before its first backward gets
     * float16 gradients: in both cases the flag follows the gradient's native type.
     */
    @Test
    public void float32OnlyFollowsTheGradientsOfCastParameters() {
        PtGradientOps ops = PtGradientOps.load();
        NDArray early = manager.create(new float[] {1f, 2f});
        NDArray late = manager.create(new float[] {3f, 4f});
        early.setRequiresGradient(true);
        late.setRequiresGradient(true);
        backward(late);
        ops.castParametersInPlace(List.of(early, late), DataType.FLOAT16);
        backward(early);
        backward(late);
        PtNDArray earlyGrad = (PtNDArray) early.getGradient();
        PtNDArray lateGrad = (PtNDArray) late.getGradient();
        assertEquals(JniUtils.getDataType(earlyGrad), DataType.FLOAT16);
        assertEquals(JniUtils.getDataType(lateGrad), DataType.FLOAT32);
        assertFalse(PtArguments.float32Only(new PtNDArray[] {earlyGrad, lateGrad}));
        assertTrue(PtArguments.float32Only(new PtNDArray[] {lateGrad}));
        assertEquals(lateGrad.toFloatArray(), new float[] {6f, 6f}, "3 w summed over two passes");
    }

    /**
     * Supplies test parameters.
     *
     * @return each norm type with a finite set, a NaN, {@code +inf} and {@code -inf}
     */
    @DataProvider
    public Object[][] normTypesAndPlants() {
        List<Object[]> rows = new ArrayList<>();
        for (float p : new float[] {1f, 1.5f, 2f, 3f, Float.POSITIVE_INFINITY}) {
            for (float plant :
                    new float[] {
                        0.75f, Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY
                    }) {
                rows.add(new Object[] {p, plant});
            }
        }
        return rows.toArray(Object[][]::new);
    }

    /**
     * Both paths of every reading method and of the two in-place steps agree bit for bit.
     *
     * @param p the norm type
     * @param plant the value written into the long tensor's last element
     */
    @Test(dataProvider = "normTypesAndPlants")
    public void bothPathsGiveTheSameBits(float p, float plant) {
        String what = "p=" + p + " plant=" + plant;
        assertBits(
                read(TorchScriptOps.PER_TENSOR_NORMS, p, true),
                read(TorchScriptOps.PER_TENSOR_NORMS, p, false),
                what);
        PtNDArray[] fast = gradients(plant);
        PtNDArray[] loop = gradients(plant);
        assertBits(
                readInto(TorchScriptOps.TOTAL_NORM, fast, p, true, new Shape()),
                readInto(TorchScriptOps.TOTAL_NORM, loop, p, false, new Shape()),
                what + " total_norm");
        assertBits(flag(fast, true), flag(loop, false), what + " non_finite_flag");
        assertBits(clip(fast, p, true), clip(loop, p, false), what + " clip_by_global_norm_");
        assertGradients(fast, loop, what + " after clip_by_global_norm_");
        assertBits(step(fast, p, true), step(loop, p, false), what + " global_norm_step_");
        assertGradients(fast, loop, what + " after global_norm_step_");
    }

    /** The list: a 0-d tensor, a transposed (non-contiguous) view, and 40,003 values. */
    private PtNDArray[] gradients(float plant) {
        float[] matrix = new float[12];
        for (int i = 0; i < matrix.length; i++) {
            matrix[i] = (i - 5) * 0.37f;
        }
        float[] longValues = new float[40_003];
        for (int i = 0; i < longValues.length; i++) {
            longValues[i] = (i % 17 - 8) * 0.01f;
        }
        longValues[longValues.length - 1] = plant;
        return new PtNDArray[] {
            (PtNDArray) manager.create(-2.5f),
            (PtNDArray) manager.create(matrix, new Shape(3, 4)).transpose(),
            (PtNDArray) manager.create(longValues)
        };
    }

    private float[] read(String method, float p, boolean float32Only) {
        PtNDArray[] grads = gradients(Float.NaN);
        return readInto(method, grads, p, float32Only, new Shape(grads.length));
    }

    private float[] readInto(
            String method, PtNDArray[] grads, float p, boolean float32Only, Shape shape) {
        PtNDArray out = empty(shape);
        try (IValue list = IValue.listFrom(grads);
                IValue pv = IValue.from((double) p);
                IValue f32 = IValue.from(float32Only);
                IValue o = IValue.from(out)) {
            return MODULE.runInto(out, method, list, pv, f32, o).toFloatArray();
        }
    }

    private float[] flag(PtNDArray[] grads, boolean float32Only) {
        PtNDArray out = empty(new Shape());
        try (IValue list = IValue.listFrom(grads);
                IValue f32 = IValue.from(float32Only);
                IValue o = IValue.from(out)) {
            return MODULE.runInto(out, TorchScriptOps.NON_FINITE_FLAG, list, f32, o).toFloatArray();
        }
    }

    private float[] clip(PtNDArray[] grads, float p, boolean float32Only) {
        PtNDArray out = empty(new Shape());
        try (IValue list = IValue.listFrom(grads);
                IValue max = IValue.from((PtNDArray) manager.create(0.5f));
                IValue pv = IValue.from((double) p);
                IValue f32 = IValue.from(float32Only);
                IValue o = IValue.from(out)) {
            return MODULE.runInto(out, TorchScriptOps.CLIP_BY_GLOBAL_NORM, list, max, pv, f32, o)
                    .toFloatArray();
        }
    }

    /** The step with {@code 1/S = 4} and the re-check, a multiplier of 1/3 and a bound of 0.1. */
    private float[] step(PtNDArray[] grads, float p, boolean float32Only) {
        PtNDArray out = empty(new Shape(5));
        try (IValue list = IValue.listFrom(grads);
                IValue f32 = IValue.from(float32Only);
                IValue unscale = IValue.from(true);
                IValue inv = IValue.from((PtNDArray) manager.create(4f));
                IValue recheck = IValue.from(true);
                IValue check = IValue.from(true);
                IValue mult = IValue.from((PtNDArray) manager.create(1f / 3));
                IValue max = IValue.from((PtNDArray) manager.create(0.1f));
                IValue pv = IValue.from((double) p);
                IValue loss = IValue.from((PtNDArray) manager.create(0f));
                IValue o = IValue.from(out)) {
            return MODULE.runInto(
                            out,
                            TorchScriptOps.GLOBAL_NORM_STEP,
                            list,
                            f32,
                            unscale,
                            inv,
                            recheck,
                            check,
                            mult,
                            max,
                            pv,
                            loss,
                            o)
                    .toFloatArray();
        }
    }

    private PtNDArray empty(Shape shape) {
        return (PtNDArray) manager.create(new float[(int) shape.size()], shape);
    }

    private static void backward(NDArray w) {
        try (GradientCollector collector = Engine.getEngine("PyTorch").newGradientCollector()) {
            collector.backward(w.mul(3).sum());
        }
    }

    private static void assertGradients(PtNDArray[] actual, PtNDArray[] expected, String what) {
        for (int i = 0; i < actual.length; i++) {
            assertBits(actual[i].toFloatArray(), expected[i].toFloatArray(), what + " grad " + i);
        }
    }

    private static void assertBits(float[] actual, float[] expected, String what) {
        assertEquals(actual.length, expected.length, what);
        for (int i = 0; i < actual.length; i++) {
            int a = Float.floatToRawIntBits(actual[i]);
            int e = Float.floatToRawIntBits(expected[i]);
            if (a != e) {
                assertEquals(a, e, what + " [" + i + "]: " + actual[i] + " vs " + expected[i]);
            }
        }
    }
}
