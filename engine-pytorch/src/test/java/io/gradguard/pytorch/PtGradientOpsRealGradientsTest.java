package io.gradguard.pytorch;

import static org.testng.Assert.assertEquals;
import static org.testng.Assert.assertFalse;
import static org.testng.Assert.assertSame;
import static org.testng.Assert.assertTrue;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.training.GradientCollector;
import java.util.List;
import org.testng.annotations.AfterMethod;
import org.testng.annotations.BeforeClass;
import org.testng.annotations.BeforeMethod;
import org.testng.annotations.Test;

/**
 * {@link PtGradientOps} on gradients that a {@link GradientCollector} produced: the module must
 * change the real {@code .grad} tensors, which a later {@code getGradient()} reads back, and its
 * results must belong to the manager of the gradient handles.
 *
 * <p>The loss is {@code s * (3 w0 + 4 w1 + 12 v0)}, so {@code dL/dw = [3s, 4s]} and {@code dL/dv =
 * [12s]}: the usual gradients, L2 norm 13, times the loss scale {@code s}.
 */
public class PtGradientOpsRealGradientsTest {

    private PtGradientOps ops;
    private NDManager manager;
    private NDArray w;
    private NDArray v;

    @BeforeClass
    public void loadOps() {
        ops = PtGradientOps.load();
    }

    @BeforeMethod
    public void openManager() {
        manager = NDManager.newBaseManager(Device.cpu(), "PyTorch");
        w = manager.create(new float[] {1f, 2f});
        w.setRequiresGradient(true);
        v = manager.create(new float[] {5f});
        v.setRequiresGradient(true);
    }

    @AfterMethod
    public void closeManager() {
        manager.close();
    }

    @Test
    public void scaleInPlaceChangesTheRealGradients() {
        backward(1f);
        try (NDManager step = manager.newSubManager()) {
            ops.scaleInPlace(gradients(step), step.create(0.5f));
        }
        assertEquals(gradientOf(w), new float[] {1.5f, 2f});
        assertEquals(gradientOf(v), new float[] {6f});
    }

    @Test
    public void clipByGlobalNormChangesTheRealGradients() {
        backward(1f);
        float norm;
        try (NDManager step = manager.newSubManager()) {
            norm = ops.clipByGlobalNorm(gradients(step), step.create(6.5f), 2f).getFloat();
        }
        assertEquals(norm, 13f);
        float coef = (float) (6.5 / (13 + 1e-6)); // clip_grad_norm_'s coefficient
        assertClose(gradientOf(w), 3f * coef, 4f * coef);
        assertClose(gradientOf(v), 12f * coef);
    }

    @Test
    public void unscaleAndCheckRestoresTheUnscaledGradients() {
        // s = 1024: grads [3072, 4096] and [12288], all exact; times 1/1024 gives them back
        backward(1024f);
        float flag;
        try (NDManager step = manager.newSubManager()) {
            flag = ops.unscaleAndCheck(gradients(step), step.create(1f / 1024f)).getFloat();
        }
        assertEquals(flag, 0f);
        assertEquals(gradientOf(w), new float[] {3f, 4f});
        assertEquals(gradientOf(v), new float[] {12f});
    }

    @Test
    public void float16GradientsAreUnscaledInPlace() {
        // loss = 1024 * (3 h0 + 4 h1) in float16: dL/dh = [3072, 4096], exact in float16
        NDArray h = manager.create(new float[] {1f, 2f}).toType(DataType.FLOAT16, false);
        h.setRequiresGradient(true);
        try (NDManager scope = manager.newSubManager();
                GradientCollector collector = Engine.getEngine("PyTorch").newGradientCollector()) {
            NDArray coefficients =
                    scope.create(new float[] {3f, 4f}).toType(DataType.FLOAT16, false);
            collector.backward(h.mul(coefficients).sum().mul(1024f));
        }
        float flag;
        try (NDManager step = manager.newSubManager()) {
            NDArray grad = h.getGradient();
            grad.tempAttach(step);
            assertEquals(grad.getDataType(), DataType.FLOAT16);
            flag = ops.unscaleAndCheck(List.of(grad), step.create(1f / 1024f)).getFloat();
        }
        assertEquals(flag, 0f);
        try (NDArray grad = h.getGradient()) {
            assertEquals(grad.getDataType(), DataType.FLOAT16);
            assertEquals(grad.toType(DataType.FLOAT32, false).toFloatArray(), new float[] {3f, 4f});
        }
    }

    @Test
    public void zeroInPlaceClearsNaNGradients() {
        backward(Float.NaN);
        try (NDManager step = manager.newSubManager()) {
            List<NDArray> grads = gradients(step);
            assertEquals(ops.nonFiniteFlag(grads).getFloat(), 1f);
            ops.zeroInPlace(grads);
        }
        assertEquals(gradientOf(w), new float[] {0f, 0f});
        assertEquals(gradientOf(v), new float[] {0f});
        // the next backward accumulates onto clean zeros
        backward(1f);
        assertEquals(gradientOf(w), new float[] {3f, 4f});
    }

    @Test
    public void resultsAreAttachedToTheGradientsManagerAndFreedWithIt() {
        backward(1f);
        NDArray norm;
        NDArray perTensor;
        NDArray flag;
        NDArray found;
        NDArray clipNorm;
        List<NDArray> grads;
        try (NDManager step = manager.newSubManager()) {
            grads = gradients(step);
            norm = ops.totalNorm(grads, 2f);
            perTensor = ops.perTensorNorms(grads, 2f);
            flag = ops.nonFiniteFlag(grads);
            found = ops.unscaleAndCheck(grads, step.create(1f));
            clipNorm = ops.clipByGlobalNorm(grads, 100f, 2f);
            for (NDArray result : List.of(norm, perTensor, flag, found, clipNorm)) {
                assertSame(result.getManager(), step);
            }
            assertEquals(norm.getFloat(), 13f);
        }
        for (NDArray result : List.of(norm, perTensor, flag, found, clipNorm)) {
            assertTrue(result.isReleased(), "result outlived the step manager");
        }
        // temporarily attached gradient handles went back to their manager, still usable
        for (NDArray grad : grads) {
            assertFalse(grad.isReleased());
            grad.close();
        }
    }

    /** Runs backward of {@code s * (3 w0 + 4 w1 + 12 v0)} with fresh gradients. */
    private void backward(float s) {
        try (NDManager scope = manager.newSubManager();
                GradientCollector collector = Engine.getEngine("PyTorch").newGradientCollector()) {
            NDArray coefficients = scope.create(new float[] {3f, 4f});
            NDArray loss = w.mul(coefficients).sum().add(v.mul(12f).sum()).mul(s);
            collector.backward(loss);
        }
    }

    /** Gradient handles of w and v, temporarily attached to {@code step}. */
    private List<NDArray> gradients(NDManager step) {
        NDArray gw = w.getGradient();
        NDArray gv = v.getGradient();
        gw.tempAttach(step);
        gv.tempAttach(step);
        return List.of(gw, gv);
    }

    /** Reads a parameter's gradient through a fresh handle. */
    private static float[] gradientOf(NDArray parameter) {
        try (NDArray grad = parameter.getGradient()) {
            return grad.toFloatArray();
        }
    }

    private static void assertClose(float[] actual, float... expected) {
        assertEquals(actual.length, expected.length);
        for (int i = 0; i < expected.length; i++) {
            assertEquals(actual[i], expected[i], 1e-6f * Math.abs(expected[i]), "element " + i);
        }
    }
}
