package io.gradguard.it;

import static org.testng.Assert.assertEquals;
import static org.testng.Assert.assertSame;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.training.Trainer;
import ai.djl.training.loss.Loss;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.Tracker;
import io.gradguard.ClippingTrainingListener;
import io.gradguard.GradGuard;
import io.gradguard.clip.ClipContext;
import io.gradguard.clip.ClipStrategy;
import io.gradguard.scale.LossScaler;
import io.gradguard.spi.DeviceScalars;
import io.gradguard.spi.GradientOps;
import io.gradguard.testkit.HostTensor;
import io.gradguard.testkit.RandomGradients;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.testng.annotations.DataProvider;
import org.testng.annotations.Test;

/**
 * Scalar constants of the guarded step (eps, the threshold, 1, the inverse loss scale) are created
 * once per engine, device, dtype and value, not at every step. {@link DeviceScalars} keeps them in
 * a base manager per engine and device named {@code gradguard-constants}, shared by the whole JVM;
 * the tests count that manager's arrays relative to a count taken inside the test, so what other
 * tests left there does not matter. A positive control shows that the count does see a new
 * constant.
 */
public class ConstantsPerDeviceTest {

    private static final int WARMUP_EPOCHS = 2;
    private static final int EPOCHS = 25; // 100 steps of 4 batches

    /** Counts the values {@link #freshValue()} has handed out in this JVM. */
    private static final AtomicInteger FRESH = new AtomicInteger();

    /**
     * Returns a float no code has cached before: consecutive floats just above 0.0123401, one per
     * call, a band that nothing else in the guard or the tests uses. Each test takes its own, so
     * the tests pass alone, repeated, and in any order.
     */
    private static float freshValue() {
        return Float.intBitsToFloat(Float.floatToRawIntBits(0.0123401f) + FRESH.getAndIncrement());
    }

    /**
     * Supplies test parameters.
     *
     * @return engine and ops kind
     */
    @DataProvider
    public Object[][] engineAndOps() {
        List<Object[]> rows = new ArrayList<>();
        for (String engine : List.of("PyTorch", "MXNet")) {
            for (String kind : List.of("fused", "generic")) {
                rows.add(new Object[] {engine, kind});
            }
        }
        return rows.toArray(Object[][]::new);
    }

    /**
     * After a warm-up, 100 guarded steps with clipping and dynamic loss scaling create no new
     * constant; then a threshold never used before adds exactly one, and using it again none.
     *
     * @param engine the engine
     * @param kind fused or generic ops
     */
    @Test(dataProvider = "engineAndOps")
    public void constantsAreCreatedOncePerDevice(String engine, String kind) {
        float freshThreshold = freshValue();
        GradientOps ops =
                "fused".equals(kind)
                        ? GradientOps.forEngine(Engine.getEngine(engine))
                        : GradientOps.generic();
        ClippingTrainingListener guard =
                ClippingTrainingListener.builder()
                        .setStrategy(ClipStrategy.globalNorm(0.5f))
                        .optLossScaler(LossScaler.dynamic())
                        .optGradientOps(ops)
                        .build();
        Optimizer sgd = Optimizer.sgd().setLearningRateTracker(Tracker.fixed(0.01f)).build();
        try (TinyRegression problem = new TinyRegression(engine, 21);
                Trainer trainer =
                        problem.newTrainer(
                                GradGuard.trainingConfig(Loss.l2Loss(), sgd, guard), 21);
                NDManager probe = NDManager.newBaseManager(Device.cpu(), engine)) {
            problem.fit(trainer, WARMUP_EPOCHS);
            NDManager constants = DeviceScalars.fp32(probe.create(0f), 1f).getManager();
            assertEquals(constants.getName(), "gradguard-constants");
            int before = constants.getManagedArrays().size();
            float scale = guard.getLossScaler().scale();

            problem.fit(trainer, EPOCHS);
            assertEquals(guard.getStepCount(), (WARMUP_EPOCHS + EPOCHS) * 4L);
            // A changed loss scale would legitimately bring a new 1/S constant.
            assertEquals(guard.getLossScaler().scale(), scale, "the loss scale did not move");
            assertEquals(
                    constants.getManagedArrays().size(), before, "100 steps added no constant");

            // Positive control: the count sees a new value, once.
            List<NDArray> grads =
                    HostTensor.toNDArrays(RandomGradients.draw(3), probe, DataType.FLOAT32);
            // The guarded steps ran the one-call step where the ops have one, so the strategy's
            // own arithmetic (its eps) may be new here: run it once at the old threshold first.
            try (NDManager step = probe.newSubManager()) {
                step.tempAttachAll(grads.toArray(new NDArray[0]));
                ClipStrategy.globalNorm(0.5f).apply(ClipContext.of(ops, grads, 0));
            }
            int warmed = constants.getManagedArrays().size();
            ClipStrategy fresh = ClipStrategy.globalNorm(freshThreshold);
            try (NDManager step = probe.newSubManager()) {
                step.tempAttachAll(grads.toArray(new NDArray[0]));
                fresh.apply(ClipContext.of(ops, grads, 0));
            }
            assertEquals(constants.getManagedArrays().size(), warmed + 1, "a new threshold");
            try (NDManager step = probe.newSubManager()) {
                step.tempAttachAll(grads.toArray(new NDArray[0]));
                fresh.apply(ClipContext.of(ops, grads, 1));
            }
            assertEquals(constants.getManagedArrays().size(), warmed + 1, "the same threshold");
        }
    }

    /** A constant is cached per dtype: a float16 copy of a value is a second constant. */
    @Test
    public void eachDtypeHasItsOwnConstant() {
        try (NDManager probe = NDManager.newBaseManager(Device.cpu(), "PyTorch")) {
            NDArray like = probe.create(0f);
            float value = freshValue();
            NDManager constants = DeviceScalars.owner(like);
            int start = constants.getManagedArrays().size();
            NDArray fp32 = DeviceScalars.of(like, DataType.FLOAT32, value);
            assertSame(fp32.getManager(), constants);
            assertEquals(constants.getManagedArrays().size(), start + 1, "the float32 constant");
            NDArray fp16 = DeviceScalars.of(like, DataType.FLOAT16, value);
            assertEquals(fp16.getDataType(), DataType.FLOAT16);
            // Rounded to float16: within half a float16 ulp (2^-11 relative).
            assertEquals(fp16.getFloat(), value, value * 0x1p-11f, "the same value");
            // The float16 constant alone: the float32 array it was cast from is closed.
            assertEquals(constants.getManagedArrays().size(), start + 2, "the float16 constant");
            assertSame(DeviceScalars.of(like, DataType.FLOAT16, value), fp16);
            assertSame(DeviceScalars.of(like, DataType.FLOAT32, value), fp32);
            assertEquals(constants.getManagedArrays().size(), start + 2, "nothing more");
        }
    }
}
