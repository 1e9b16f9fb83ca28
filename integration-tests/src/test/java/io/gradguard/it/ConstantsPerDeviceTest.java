package io.gradguard.it;

import static org.testng.Assert.assertEquals;
import static org.testng.Assert.assertSame;
import static org.testng.Assert.assertTrue;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.training.Trainer;
import ai.djl.training.loss.Loss;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.Tracker;
import io.gradguard.ClipContext;
import io.gradguard.ClipStrategy;
import io.gradguard.ClippingTrainingListener;
import io.gradguard.GradGuard;
import io.gradguard.LossScaler;
import io.gradguard.internal.DeviceScalars;
import io.gradguard.spi.GradientOps;
import java.util.ArrayList;
import java.util.List;
import org.testng.annotations.DataProvider;
import org.testng.annotations.Test;

/**
 * Scalar constants of the guarded step (eps, the threshold, 1, the inverse loss scale) are created
 * once per engine, device, dtype and value, not at every step. {@link DeviceScalars} keeps them in
 * a base manager per engine and device named {@code gradguard-constants}; the tests count that
 * manager's arrays over many steps. A positive control shows that the count does see a new
 * constant.
 */
public class ConstantsPerDeviceTest {

    private static final int WARMUP_EPOCHS = 2;
    private static final int EPOCHS = 25; // 100 steps of 4 batches

    /**
     * Supplies test parameters. Each row has its own threshold for the positive control, a value no
     * other test uses, so that it is certainly new to the cache.
     *
     * @return engine, ops kind, and a fresh threshold
     */
    @DataProvider
    public Object[][] engineAndOps() {
        List<Object[]> rows = new ArrayList<>();
        float fresh = 0.0123401f;
        for (String engine : List.of("PyTorch", "MXNet")) {
            for (String kind : List.of("fused", "generic")) {
                rows.add(new Object[] {engine, kind, fresh});
                fresh += 0.0000107f;
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
     * @param freshThreshold a threshold no other code has used
     */
    @Test(dataProvider = "engineAndOps")
    public void constantsAreCreatedOncePerDevice(String engine, String kind, float freshThreshold) {
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
            ClipStrategy fresh = ClipStrategy.globalNorm(freshThreshold);
            try (NDManager step = probe.newSubManager()) {
                step.tempAttachAll(grads.toArray(new NDArray[0]));
                fresh.apply(ClipContext.of(ops, grads, 0));
            }
            assertEquals(constants.getManagedArrays().size(), before + 1, "a new threshold");
            try (NDManager step = probe.newSubManager()) {
                step.tempAttachAll(grads.toArray(new NDArray[0]));
                fresh.apply(ClipContext.of(ops, grads, 1));
            }
            assertEquals(constants.getManagedArrays().size(), before + 1, "the same threshold");
        }
    }

    /** A constant is cached per dtype: a float16 copy of a value is a second constant. */
    @Test
    public void eachDtypeHasItsOwnConstant() {
        try (NDManager probe = NDManager.newBaseManager(Device.cpu(), "PyTorch")) {
            NDArray like = probe.create(0f);
            float value = 0.0234567f;
            NDArray fp32 = DeviceScalars.of(like, DataType.FLOAT32, value);
            NDManager constants = fp32.getManager();
            int count = constants.getManagedArrays().size();
            NDArray fp16 = DeviceScalars.of(like, DataType.FLOAT16, value);
            assertEquals(fp16.getDataType(), DataType.FLOAT16);
            int added = constants.getManagedArrays().size() - count;
            // The float16 constant, and the float32 array it was cast from, which stays in the
            // constants' manager: two arrays once per constant, never per step.
            assertTrue(added == 1 || added == 2, "added " + added);
            assertSame(DeviceScalars.of(like, DataType.FLOAT16, value), fp16);
            assertSame(DeviceScalars.of(like, DataType.FLOAT32, value), fp32);
            assertEquals(constants.getManagedArrays().size(), count + added);
        }
    }
}
