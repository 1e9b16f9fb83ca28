package io.gradguard.mxnet;

import static org.testng.Assert.assertEquals;
import static org.testng.Assert.assertThrows;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import io.gradguard.testkit.BackwardPasses;
import java.util.List;
import org.testng.annotations.Test;

/**
 * {@link MxGradReq} on x = [1, 2, 3] with two losses: {@code sum(x * x)} (gradient {@code 2x = [2,
 * 4, 6]}) and {@code sum(3 * x)} (gradient {@code [3, 3, 3]}).
 */
public class MxGradReqTest extends MxOpsTestBase {

    private static final float[] SQUARE_GRAD = {2f, 4f, 6f};
    private static final float[] LINEAR_GRAD = {3f, 3f, 3f};

    private final Engine engine = Engine.getEngine("MXNet");

    private NDArray weight() {
        NDArray x = base.create(new float[] {1f, 2f, 3f});
        x.setRequiresGradient(true);
        return x;
    }

    private void zero(NDArray x) {
        try (NDArray grad = x.getGradient()) {
            ops.zeroInPlace(List.of(grad));
        }
    }

    @Test
    public void writeOverwritesByDefault() {
        NDArray x = weight();
        BackwardPasses.backward(engine, x, BackwardPasses::square);
        BackwardPasses.backward(engine, x, BackwardPasses::linear);
        assertEquals(BackwardPasses.gradient(x), LINEAR_GRAD);
    }

    @Test
    public void addSumsTwoBackwardPasses() {
        NDArray x = weight();
        MxGradReq.accumulate(x);
        zero(x);
        BackwardPasses.backward(engine, x, BackwardPasses::square);
        assertEquals(BackwardPasses.gradient(x), SQUARE_GRAD);
        BackwardPasses.backward(engine, x, BackwardPasses::linear);
        // [2, 4, 6] + [3, 3, 3]
        assertEquals(BackwardPasses.gradient(x), new float[] {5f, 7f, 9f});
    }

    @Test
    public void zeroingResetsAnAccumulatedGradient() {
        NDArray x = weight();
        MxGradReq.accumulate(x);
        zero(x);
        BackwardPasses.backward(engine, x, BackwardPasses::square);
        BackwardPasses.backward(engine, x, BackwardPasses::square);
        assertEquals(BackwardPasses.gradient(x), new float[] {4f, 8f, 12f});
        zero(x);
        assertEquals(BackwardPasses.gradient(x), new float[] {0f, 0f, 0f});
        BackwardPasses.backward(engine, x, BackwardPasses::linear);
        assertEquals(BackwardPasses.gradient(x), LINEAR_GRAD);
    }

    @Test
    public void zeroingClearsAnAccumulatedNan() {
        // d/dx sum(x * [NaN, 1, 1]) = [NaN, 1, 1]; it sticks under ADD until zeroed
        NDArray x = weight();
        MxGradReq.accumulate(x);
        zero(x);
        NDArray poisoned = base.create(new float[] {Float.NaN, 1f, 1f});
        BackwardPasses.backward(engine, x, w -> w.mul(poisoned).sum());
        BackwardPasses.backward(engine, x, BackwardPasses::linear);
        assertEquals(Float.isNaN(BackwardPasses.gradient(x)[0]), true);
        zero(x);
        BackwardPasses.backward(engine, x, BackwardPasses::linear);
        assertEquals(BackwardPasses.gradient(x), LINEAR_GRAD);
    }

    @Test
    public void overwriteRestoresWrite() {
        NDArray x = weight();
        MxGradReq.accumulate(x);
        MxGradReq.overwrite(x);
        BackwardPasses.backward(engine, x, BackwardPasses::square);
        BackwardPasses.backward(engine, x, BackwardPasses::linear);
        assertEquals(BackwardPasses.gradient(x), LINEAR_GRAD);
    }

    @Test
    public void rejectsArraysWithoutGradient() {
        NDArray plain = base.create(new float[] {1f});
        assertThrows(IllegalArgumentException.class, () -> MxGradReq.accumulate(plain));
        assertThrows(IllegalArgumentException.class, () -> MxGradReq.overwrite(null));
    }
}
