package io.gradguard.mxnet;

import static org.testng.Assert.assertEquals;
import static org.testng.Assert.assertFalse;
import static org.testng.Assert.assertSame;
import static org.testng.Assert.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import io.gradguard.spi.GradientOps;
import io.gradguard.spi.GradientOpsProvider;
import java.util.List;
import java.util.ServiceLoader;
import org.testng.annotations.Test;

/**
 * {@link MxGradientOps} on real gradients from MXNet's autograd, result ownership, and discovery
 * through {@code META-INF/services}.
 */
public class MxGradientOpsGradientsTest extends MxOpsTestBase {

    private final Engine engine = Engine.getEngine("MXNet");

    /** Returns x = [1, 2, 3] after one backward pass of sum(x * x): its gradient is 2x. */
    private NDArray weightWithGradient() {
        NDArray x = base.create(new float[] {1f, 2f, 3f});
        x.setRequiresGradient(true);
        try (GradientCollector collector = engine.newGradientCollector()) {
            collector.backward(x.mul(x).sum());
        }
        return x;
    }

    @Test
    public void scalingAGradientHandleChangesTheRealGradient() {
        NDArray x = weightWithGradient();
        try (NDManager step = base.newSubManager()) {
            NDArray grad = x.getGradient();
            grad.tempAttach(step);
            // ||[2, 4, 6]|| = sqrt(4 + 16 + 36) = sqrt(56) = 7.483315
            assertEquals(ops.totalNorm(List.of(grad), 2f).getFloat(), 7.483315f, 1e-5f);
            ops.scaleInPlace(List.of(grad), step.create(0.5f));
        }
        try (NDArray reread = x.getGradient()) {
            assertEquals(reread.toFloatArray(), new float[] {1f, 2f, 3f});
        }
    }

    @Test
    public void clampAndZeroReachTheRealGradient() {
        NDArray x = weightWithGradient();
        try (NDManager step = base.newSubManager()) {
            NDArray grad = x.getGradient();
            grad.tempAttach(step);
            ops.clampInPlace(List.of(grad), 3f);
        }
        try (NDArray reread = x.getGradient()) {
            assertEquals(reread.toFloatArray(), new float[] {2f, 3f, 3f});
            ops.zeroInPlace(List.of(reread));
        }
        try (NDArray reread = x.getGradient()) {
            assertEquals(reread.toFloatArray(), new float[] {0f, 0f, 0f});
        }
    }

    @Test
    public void resultsBelongToTheFirstGradientsManager() {
        NDArray x = weightWithGradient();
        NDArray perTensor;
        NDArray total;
        NDArray flag;
        NDArray unscaleFlag;
        try (NDManager step = base.newSubManager()) {
            NDArray grad = x.getGradient();
            grad.tempAttach(step);
            NDArray other = step.create(new float[] {1f});
            List<NDArray> grads = List.of(grad, other);
            perTensor = ops.perTensorNorms(grads, 2f);
            total = ops.totalNorm(grads, 2f);
            flag = ops.nonFiniteFlag(grads);
            unscaleFlag = ops.unscaleAndCheck(grads, base.create(1f));
            for (NDArray result : List.of(perTensor, total, flag, unscaleFlag)) {
                assertSame(result.getManager(), step);
                assertFalse(result.isReleased());
            }
        }
        for (NDArray result : List.of(perTensor, total, flag, unscaleFlag)) {
            assertTrue(result.isReleased());
        }
    }

    @Test
    public void forEngineFindsTheFusedOps() {
        assertEquals(GradientOps.forEngine(engine).name(), "mxnet-fused");
    }

    @Test
    public void providerIsListedAndPassesItsSelfCheck() {
        GradientOpsProvider found = null;
        for (GradientOpsProvider provider : ServiceLoader.load(GradientOpsProvider.class)) {
            if (provider instanceof MxGradientOpsProvider) {
                found = provider;
            }
        }
        assertTrue(found != null, "MxGradientOpsProvider not in META-INF/services");
        assertEquals(found.engineName(), "MXNet");
        assertTrue(found.create() instanceof MxGradientOps);
    }
}
