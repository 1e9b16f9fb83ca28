package io.gradguard.mxnet;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.gradguard.spi.GradientOps;
import java.util.Arrays;
import java.util.List;

/**
 * A once-per-JVM check that fused ops give known answers on CPU, reading values back to the host
 * (which the ops themselves never do).
 */
final class MxSelfCheck {

    private MxSelfCheck() {}

    /**
     * Runs every fused path on gradients {@code a = [3, 4]} and {@code b = [12]}: L2 norms {@code
     * [5, 12]} and {@code 13}; flag 0, then 1 once {@code b = [NaN]}; zeroing that NaN gives 0;
     * scaling {@code a} by 0.5 gives {@code [1.5, 2]}.
     *
     * @param engine the MXNet engine
     * @param ops the ops to check
     * @throws IllegalStateException if an answer is wrong
     */
    static void run(Engine engine, GradientOps ops) {
        try (NDManager manager = engine.newBaseManager(Device.cpu())) {
            NDArray a = manager.create(new float[] {3f, 4f});
            NDArray b = manager.create(new float[] {12f});
            List<NDArray> grads = List.of(a, b);
            expect("perTensorNorms", ops.perTensorNorms(grads, 2f), 5f, 12f);
            expect("totalNorm", ops.totalNorm(grads, 2f), 13f);
            expect("nonFiniteFlag (finite)", ops.nonFiniteFlag(grads), 0f);
            NDArray nan = manager.create(new float[] {Float.NaN});
            expect("nonFiniteFlag (NaN)", ops.nonFiniteFlag(List.of(a, nan)), 1f);
            ops.zeroInPlace(List.of(nan));
            expect("zeroInPlace", nan, 0f);
            ops.scaleInPlace(List.of(a), manager.create(0.5f));
            expect("scaleInPlace", a, 1.5f, 2f);
        }
    }

    private static void expect(String what, NDArray actual, float... expected) {
        float[] values = actual.toFloatArray();
        if (!Arrays.equals(values, expected)) {
            throw new IllegalStateException(
                    "self-check of "
                            + what
                            + " failed: expected "
                            + Arrays.toString(expected)
                            + ", got "
                            + Arrays.toString(values));
        }
    }
}
