package io.gradguard.testkit;

import static org.testng.Assert.assertEquals;
import static org.testng.Assert.assertFalse;
import static org.testng.Assert.assertSame;
import static org.testng.Assert.assertThrows;
import static org.testng.Assert.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.training.GradientCollector;
import io.gradguard.spi.GradientOps;
import java.util.ArrayList;
import java.util.List;
import org.testng.SkipException;
import org.testng.annotations.Test;

/**
 * The compatibility kit of {@link GradientOps}: every method's contract, run against one
 * implementation on one engine. A new implementation runs it with a short subclass in its own
 * tests:
 *
 * <pre>{@code
 * public class MyOpsContractTest extends GradientOpsContractKit {
 *     private final GradientOps ops = new MyGradientOps();
 *
 *     protected GradientOps ops() {
 *         return ops;
 *     }
 *
 *     protected String engineName() {
 *         return "PyTorch";
 *     }
 * }
 * }</pre>
 *
 * <p>Numbers are checked three ways ({@link ReferenceNumbersKit}): literal vectors written by
 * PyTorch ({@link ClipVectors}), properties of random seeded gradient sets, and zero-size tensors.
 * {@link NonFiniteKit} checks the rules for NaN and infinities, {@link GlobalNormStepKit} the
 * one-call guarded step against its composition, {@link GlobalNormStepEdgeKit} its flag, multiplier
 * and multiply-by-1 edges under every norm type. This class checks arguments, bookkeeping, and the
 * methods that act on parameters: {@link GradientOps#discardGradients} and {@link
 * GradientOps#prepareAccumulation}, through real backward passes of DJL's public {@link
 * GradientCollector} on {@code x = [1, 2, 3]} with two losses, {@code sum(x * x)} (gradient {@code
 * 2x = [2, 4, 6]}) and {@code sum(3 * x)} (gradient {@code [3, 3, 3]}).
 *
 * <p>Every test runs in its own sub-manager of a per-class base manager on the CPU.
 */
public abstract class GradientOpsContractKit extends GlobalNormStepEdgeKit {

    /** The gradient of {@code sum(x * x)} at {@code x = [1, 2, 3]}: {@code 2x}. */
    private static final float[] SQUARE_GRAD = {2f, 4f, 6f};

    /** The gradient of {@code sum(3 * x)}. */
    private static final float[] LINEAR_GRAD = {3f, 3f, 3f};

    /**
     * Tells whether {@link GradientOps#discardGradients} reaches the gradient of a parameter that
     * no longer requires one; the frozen-parameter test skips where it does not.
     *
     * @return true by default
     */
    protected boolean reachesFrozenGradients() {
        return true;
    }

    // ---- arguments and bookkeeping -----------------------------------------------------------

    /**
     * Methods that return an array, {@link GradientOps#clipByGlobalNorm} included, refuse an empty
     * list with {@link IllegalArgumentException}.
     */
    @Test
    public void methodsReturningArraysRefuseAnEmptyList() {
        List<NDArray> none = List.of();
        NDArray one = manager().create(1f);
        assertThrows(IllegalArgumentException.class, () -> ops().perTensorNorms(none, 2f));
        assertThrows(IllegalArgumentException.class, () -> ops().totalNorm(none, 2f));
        assertThrows(IllegalArgumentException.class, () -> ops().nonFiniteFlag(none));
        assertThrows(IllegalArgumentException.class, () -> ops().unscaleAndCheck(none, one));
        assertThrows(IllegalArgumentException.class, () -> ops().clipByGlobalNorm(none, 1f, 2f));
    }

    /**
     * Methods that return nothing accept an empty list, create no array and leave the factor as it
     * was.
     */
    @Test
    public void methodsReturningNothingAcceptAnEmptyList() {
        List<NDArray> none = List.of();
        NDArray factor = manager().create(0.5f);
        int arrays = engineManager().getManagedArrays().size();
        ops().scaleInPlace(none, factor);
        ops().clampInPlace(none, 1f);
        ops().zeroInPlace(none);
        assertEquals(engineManager().getManagedArrays().size(), arrays, "arrays created");
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
        NDManager model = engineManager().newSubManager();
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

    /** {@link GradientOps#clipByGlobalNorm} refuses a bound that is not finite and positive. */
    @Test
    public void clipByGlobalNormRefusesInvalidBounds() {
        List<NDArray> grads = create(threeTensors(), DataType.FLOAT32);
        for (float maxNorm : new float[] {0f, -1f, Float.NaN, Float.POSITIVE_INFINITY}) {
            assertThrows(
                    IllegalArgumentException.class,
                    () -> ops().clipByGlobalNorm(grads, maxNorm, 2f));
        }
        Tolerance.EXACT.assertClose(HostTensor.of(grads), threeTensors(), "not modified");
    }

    // ---- parameters: discarding and accumulation ----------------------------------------------

    /** {@code x = [1, 2, 3]}, a trainable parameter of the test's manager. */
    private NDArray parameter() {
        NDArray x = manager().create(new float[] {1f, 2f, 3f});
        x.setRequiresGradient(true);
        return x;
    }

    private void zeroGradient(NDArray x) {
        try (NDArray grad = x.getGradient()) {
            ops().zeroInPlace(List.of(grad));
        }
    }

    /**
     * After {@link GradientOps#prepareAccumulation} returns {@code true}, two backward passes sum
     * into the gradient; after {@code false}, the second overwrites the first, so the caller's own
     * running sum is needed (and summing on top of native accumulation would count twice).
     */
    @Test
    public void prepareAccumulationTellsWhetherBackwardAccumulates() {
        NDArray x = parameter();
        boolean accumulates = ops().prepareAccumulation(List.of(x));
        zeroGradient(x);
        BackwardPasses.backward(Engine.getEngine(engineName()), x, BackwardPasses::square);
        Tolerance.EXACT.assertClose(BackwardPasses.gradient(x), SQUARE_GRAD, "first pass");
        BackwardPasses.backward(Engine.getEngine(engineName()), x, BackwardPasses::linear);
        // [2, 4, 6] + [3, 3, 3] when accumulating, [3, 3, 3] alone when overwriting
        float[] expected = accumulates ? new float[] {5f, 7f, 9f} : LINEAR_GRAD;
        Tolerance.EXACT.assertClose(
                BackwardPasses.gradient(x), expected, "accumulates=" + accumulates);
    }

    /**
     * When {@link GradientOps#prepareAccumulation} returns {@code true}, zeroing the gradients
     * after an update starts the next sum from nothing.
     */
    @Test
    public void zeroingRestartsANativeSum() {
        NDArray x = parameter();
        if (!ops().prepareAccumulation(List.of(x))) {
            throw new SkipException(ops().name() + " keeps no native sum on " + engineName());
        }
        zeroGradient(x);
        BackwardPasses.backward(Engine.getEngine(engineName()), x, BackwardPasses::square);
        BackwardPasses.backward(Engine.getEngine(engineName()), x, BackwardPasses::square);
        Tolerance.EXACT.assertClose(
                BackwardPasses.gradient(x), new float[] {4f, 8f, 12f}, "two passes");
        zeroGradient(x);
        BackwardPasses.backward(Engine.getEngine(engineName()), x, BackwardPasses::linear);
        Tolerance.EXACT.assertClose(BackwardPasses.gradient(x), LINEAR_GRAD, "after zeroing");
    }

    /** {@link GradientOps#prepareAccumulation} accepts an empty list and returns. */
    @Test
    public void prepareAccumulationAcceptsNoParameters() {
        ops().prepareAccumulation(List.of());
    }

    /**
     * {@link GradientOps#discardGradients} zeroes the gradient of a trained parameter, NaN
     * included, and a later backward pass gives the new gradient alone.
     */
    @Test
    public void discardGradientsZeroesAndLeavesNoStaleGradient() {
        NDArray x = parameter();
        NDArray poison = manager().create(new float[] {Float.NaN, 1f, 1f});
        BackwardPasses.backward(Engine.getEngine(engineName()), x, w -> w.mul(poison).sum());
        ops().discardGradients(List.of(x));
        Tolerance.EXACT.assertClose(
                BackwardPasses.gradient(x), new float[] {0f, 0f, 0f}, "discarded");
        BackwardPasses.backward(Engine.getEngine(engineName()), x, BackwardPasses::linear);
        Tolerance.EXACT.assertClose(BackwardPasses.gradient(x), LINEAR_GRAD, "next pass");
        Tolerance.EXACT.assertClose(x.toFloatArray(), new float[] {1f, 2f, 3f}, "values kept");
    }

    /**
     * {@link GradientOps#discardGradients} accepts parameters that have no gradient, and an empty
     * list.
     */
    @Test
    public void discardGradientsAcceptsParametersWithoutGradient() {
        NDArray plain = manager().create(new float[] {1f, 2f});
        ops().discardGradients(List.of(plain));
        ops().discardGradients(List.of());
        Tolerance.EXACT.assertClose(plain.toFloatArray(), new float[] {1f, 2f}, "values kept");
    }

    /**
     * A parameter frozen after a backward pass and trained again later does not bring its stale
     * gradient back once {@link GradientOps#discardGradients} has seen it frozen. Implementations
     * that cannot reach a frozen parameter's gradient on the engine say so with {@link
     * #reachesFrozenGradients()}.
     */
    @Test
    public void discardGradientsReachesAFrozenParameter() {
        if (!reachesFrozenGradients()) {
            throw new SkipException(ops().name() + " cannot reach frozen gradients");
        }
        NDArray x = parameter();
        BackwardPasses.backward(Engine.getEngine(engineName()), x, BackwardPasses::square);
        x.setRequiresGradient(false);
        ops().discardGradients(List.of(x));
        x.setRequiresGradient(true);
        BackwardPasses.backward(Engine.getEngine(engineName()), x, BackwardPasses::linear);
        Tolerance.EXACT.assertClose(BackwardPasses.gradient(x), LINEAR_GRAD, "no stale gradient");
    }
}
