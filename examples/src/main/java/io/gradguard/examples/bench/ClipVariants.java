package io.gradguard.examples.bench;

import ai.djl.mxnet.engine.MxOpParams;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import io.gradguard.clip.ClipContext;
import io.gradguard.clip.ClipStrategy;
import io.gradguard.spi.GradientOps;
import java.util.List;

/**
 * The clipping variants the benchmark compares, all with PyTorch's formula {@code coef = min(1,
 * maxNorm / (||g||_2 + 1e-6))}.
 */
final class ClipVariants {

    /** The epsilon of {@code torch.nn.utils.clip_grad_norm_}. */
    static final float EPS = 1e-6f;

    private ClipVariants() {}

    /**
     * What DJL users write today: one {@code norm().getFloat()} per parameter (a device-to-host
     * read each), the total on the host, then one {@code muli(coef)} per parameter when the total
     * is above the bound.
     *
     * @param maxNorm the bound
     * @return the variant
     */
    static ClipRun naive(float maxNorm) {
        return grads -> {
            double sumOfSquares = 0;
            for (NDArray g : grads) {
                float norm = g.norm().getFloat();
                sumOfSquares += (double) norm * norm;
            }
            float total = (float) Math.sqrt(sumOfSquares);
            float coef = maxNorm / (total + EPS);
            if (coef < 1f) {
                for (NDArray g : grads) {
                    g.muli(coef);
                }
            }
        };
    }

    /**
     * The library's path: {@code ClipStrategy.globalNorm(maxNorm)} applied through the given ops
     * (total norm, coefficient and in-place scale, all on the device).
     *
     * @param ops the implementation, generic or fused
     * @param maxNorm the bound
     * @return the variant
     */
    static ClipRun strategy(GradientOps ops, float maxNorm) {
        ClipStrategy strategy = ClipStrategy.globalNorm(maxNorm);
        return grads -> strategy.apply(ClipContext.of(ops, grads, 0));
    }

    /**
     * The custom-loop path, {@code GradientClipping.clipGradNorm}'s: {@link
     * GradientOps#clipByGlobalNorm}, which returns the norm and no report.
     *
     * @param ops the implementation
     * @param maxNorm the bound
     * @return the variant
     */
    static ClipRun oneCall(GradientOps ops, float maxNorm) {
        return grads -> ops.clipByGlobalNorm(grads, maxNorm, 2f);
    }

    /**
     * Tells whether an implementation overrides {@link GradientOps#clipByGlobalNorm} (does it in
     * one call) rather than inheriting the three-step default.
     *
     * @param ops the implementation
     * @return whether it overrides the default
     */
    static boolean overridesOneCall(GradientOps ops) {
        try {
            return ops.getClass()
                            .getMethod("clipByGlobalNorm", List.class, float.class, float.class)
                            .getDeclaringClass()
                    != GradientOps.class;
        } catch (NoSuchMethodException e) {
            throw new IllegalStateException("GradientOps.clipByGlobalNorm is missing", e);
        }
    }

    /**
     * The bandwidth floor: the same clip on ONE contiguous tensor, its L2 norm then an in-place
     * multiplication by the coefficient computed on the device from cached constants. The norm is
     * the engine's fastest for one large float32 tensor: {@code norm()} on PyTorch ({@code
     * torch.linalg.vector_norm}); {@code sqrt(multi_sum_sq(x))} on MXNet, whose {@code norm()} is
     * about 4 times slower than its bandwidth allows.
     *
     * @param constants {@code [eps, maxNorm, 1]} as 0-d float32 arrays on the tensor's device, in a
     *     manager that outlives the run
     * @return the variant; it expects a list of exactly one tensor
     */
    static ClipRun floor(List<NDArray> constants) {
        NDArray eps = constants.get(0);
        NDArray max = constants.get(1);
        NDArray one = constants.get(2);
        return grads -> {
            NDArray flat = grads.get(0);
            NDArray denominator = l2Norm(flat).add(eps);
            NDArray quotient = max.div(denominator);
            quotient.attach(denominator.getManager());
            flat.muli(quotient.minimum(one));
        };
    }

    /** Returns the L2 norm of one tensor, in the tensor's manager, the fastest way per engine. */
    private static NDArray l2Norm(NDArray flat) {
        NDManager manager = flat.getManager();
        if ("MXNet".equals(manager.getEngine().getEngineName())) {
            MxOpParams params = new MxOpParams();
            params.addParam("num_arrays", 1);
            return manager.invoke("multi_sum_sq", new NDList(flat), params).head().sqrt();
        }
        return flat.norm();
    }
}
