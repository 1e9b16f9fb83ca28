package io.gradguard.pytorch;

import static org.testng.Assert.assertEquals;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.gradguard.spi.GlobalNormStep;
import io.gradguard.spi.GradientOps;
import java.util.ArrayList;
import java.util.List;
import org.testng.SkipException;
import org.testng.annotations.Test;

/**
 * The one-call guarded step on a CUDA device: the fused module against the generic ops on the same
 * gradients, for every combination of loss scale, accumulation multiplier and bound. In the {@code
 * gpu} group; skipped, never failed, where DJL's PyTorch engine sees no GPU. Run alone with {@code
 * mvn -B -o -pl engine-pytorch -am verify -Dgroups=gpu -Dsurefire.failIfNoSpecifiedTests=false}.
 *
 * <p>The generic ops compute norms with other kernels (per-tensor {@code sum(g * g)} instead of
 * {@code _foreach_norm}), so the packed values agree to a relative 1e-5, the flags exactly.
 */
public class PtGpuGlobalNormStepTest {

    private static Device gpu() {
        if (Engine.getEngine("PyTorch").getGpuCount() == 0) {
            throw new SkipException("DJL's PyTorch engine sees no GPU");
        }
        return Device.gpu();
    }

    /** Fused and generic agree on CUDA, with and without a loss scale and a multiplier. */
    @Test(groups = "gpu")
    public void fusedStepMatchesTheGenericPathOnCuda() {
        Device device = gpu();
        GradientOps fused = PtGradientOps.load();
        try (NDManager manager = NDManager.newBaseManager(device, "PyTorch")) {
            for (float invScale : new float[] {0f, 0.5f, 4f}) {
                for (boolean accumulated : new boolean[] {false, true}) {
                    for (float bound : new float[] {0.5f, 1e6f}) {
                        String what = "1/S=" + invScale + " mult=" + accumulated + " max=" + bound;
                        try (NDManager step = manager.newSubManager()) {
                            GlobalNormStep settings =
                                    new GlobalNormStep(
                                            invScale == 0f ? null : step.create(invScale),
                                            invScale > 1f,
                                            true,
                                            accumulated ? step.create(0.25f) : null,
                                            bound,
                                            2f,
                                            null);
                            List<NDArray> a = gradients(step);
                            List<NDArray> b = gradients(step);
                            float[] got = fused.globalNormStep(a, settings).toFloatArray();
                            float[] want =
                                    GradientOps.generic()
                                            .globalNormStep(b, settings)
                                            .toFloatArray();
                            for (int i = 0; i < want.length; i++) {
                                assertEquals(got[i], want[i], Math.abs(want[i]) * 1e-5, what);
                            }
                            for (int t = 0; t < a.size(); t++) {
                                float[] x = a.get(t).toFloatArray();
                                float[] y = b.get(t).toFloatArray();
                                for (int i = 0; i < x.length; i++) {
                                    assertEquals(x[i], y[i], Math.abs(y[i]) * 1e-5 + 1e-12, what);
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /** 100 tensors of 10,000 floats, a deterministic pattern, on the manager's device. */
    private static List<NDArray> gradients(NDManager manager) {
        List<NDArray> grads = new ArrayList<>();
        for (int t = 0; t < 100; t++) {
            grads.add(
                    manager.arange(0f, 10000f, 1f, DataType.FLOAT32)
                            .mul(0.001f * (t + 1))
                            .sin()
                            .reshape(new Shape(100, 100)));
        }
        return grads;
    }
}
