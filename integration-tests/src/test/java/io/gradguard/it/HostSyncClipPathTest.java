package io.gradguard.it;

import static org.testng.Assert.assertEquals;
import static org.testng.Assert.assertTrue;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.training.DefaultTrainingConfig;
import ai.djl.training.Trainer;
import ai.djl.training.listener.TrainingListenerAdapter;
import ai.djl.training.loss.Loss;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.Tracker;
import io.gradguard.ClippingTrainingListener;
import io.gradguard.GradGuard;
import io.gradguard.ReportMode;
import io.gradguard.StepReport;
import io.gradguard.clip.ClipContext;
import io.gradguard.clip.ClipOutcome;
import io.gradguard.clip.ClipStrategy;
import io.gradguard.scale.LossScaler;
import io.gradguard.spi.GradientOps;
import io.gradguard.testkit.HostTensor;
import io.gradguard.testkit.RandomGradients;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.testng.annotations.DataProvider;
import org.testng.annotations.Test;

/**
 * The clip path makes no device-to-host read; a loss-scaled step makes exactly one.
 *
 * <p>How reads are observed: DJL reports no transfers, so the tests count the Java calls that ask
 * an array for its values. The {@code GradientOps} under test is decorated by {@link
 * HostSyncCountingOps}, which returns every result inside a {@link HostSyncCounter} wrapper, a
 * {@code java.lang.reflect.Proxy} of {@code NDArray}; operations on a wrapper return wrappers, so
 * the norm, the coefficient, the packed step values and everything else derived from what the ops
 * returned are counted wherever GradGuard reads them: in a strategy, in the listener's one packed
 * read, in the report publisher. The engines never see a wrapper: the decorator unwraps before
 * calling the real ops (which cast to {@code PtNDArray} or {@code MxNDArray}), and {@code
 * NDArrays.stack} and {@code concat} reach the engine through a wrapped {@code NDArrayEx} that
 * unwraps too. Where GradGuard hands a wrapper to a real array ({@code constant.div(norm)}), the
 * engine copies it through the host in {@code NDManager.from}; the counter reports that apart, as a
 * conversion, because the real array would have been used as is (see {@link HostSyncCounter}).
 *
 * <p>What the wrappers cannot see is covered otherwise: reads inside an ops implementation, reads
 * of the gradient handles that the listener collects itself, and reads of an array that a real
 * array computed from a wrapper (the coefficient, whose quotient has a cached constant as its left
 * operand). {@link #noClassOnTheClipPathCallsAReadMethod} scans the bytecode of those classes for
 * calls of a read method on any {@code NDArray} type.
 *
 * <p>Each check has a positive control: reading a result after the clip must count exactly one, so
 * that a zero is not the counter failing to see.
 */
public class HostSyncClipPathTest {

    private static final int EPOCHS = 2;
    private static final int STEPS = EPOCHS * TinyRegression.SAMPLES / TinyRegression.BATCH;

    /**
     * Supplies test parameters.
     *
     * @return each engine with its fused ops and with the generic ones
     */
    @DataProvider
    public Object[][] engineAndOps() {
        List<Object[]> rows = new ArrayList<>();
        for (String engine : List.of("PyTorch", "MXNet")) {
            rows.add(new Object[] {engine, "fused"});
            rows.add(new Object[] {engine, "generic"});
        }
        return rows.toArray(Object[][]::new);
    }

    private static GradientOps ops(String engine, String kind) {
        return "fused".equals(kind)
                ? GradientOps.forEngine(Engine.getEngine(engine))
                : GradientOps.generic();
    }

    /**
     * Every strategy that promises no host sync reads nothing, with and without the accumulation
     * multiplier; the values it leaves are those of {@code clip_grad_norm_} (checked for the global
     * L2 norm against a double-precision reference).
     *
     * @param engine the engine
     * @param kind fused or generic ops
     */
    @Test(dataProvider = "engineAndOps")
    public void strategiesReadNothing(String engine, String kind) {
        List<HostTensor> host = RandomGradients.draw(5);
        double norm = RandomGradients.norm(host, 2f);
        float maxNorm = (float) (norm / 3);
        List<ClipStrategy> strategies =
                List.of(
                        ClipStrategy.globalNorm(maxNorm),
                        ClipStrategy.globalNorm(maxNorm, Float.POSITIVE_INFINITY),
                        ClipStrategy.perParameterNorm(maxNorm),
                        ClipStrategy.value(0.1f),
                        ClipStrategy.observeOnly());
        try (NDManager manager = NDManager.newBaseManager(Device.cpu(), engine)) {
            for (ClipStrategy strategy : strategies) {
                for (boolean withMultiplier : new boolean[] {false, true}) {
                    HostSyncCounter counter = new HostSyncCounter();
                    GradientOps counting = new HostSyncCountingOps(ops(engine, kind), counter);
                    String what = strategy + (withMultiplier ? " x 1/4" : "") + " on " + kind;
                    try (NDManager step = manager.newSubManager()) {
                        List<NDArray> real = HostTensor.toNDArrays(host, step, DataType.FLOAT32);
                        List<NDArray> grads = counter.wrapAll(real);
                        NDArray multiplier =
                                withMultiplier ? counter.wrap(step.create(0.25f)) : null;
                        ClipOutcome outcome =
                                strategy.apply(
                                        new ClipContext(
                                                counting,
                                                grads,
                                                grads,
                                                names(grads.size()),
                                                multiplier,
                                                0));
                        assertEquals(counter.reads(), 0, what + ": " + counter.log());

                        float total = outcome.totalNorm().getFloat();
                        assertEquals(counter.reads(), 1, what + ": the control read counts");
                        if (strategy.toString().startsWith("globalNorm(")
                                && strategy.toString().contains("normType=2.0")) {
                            double trueNorm = withMultiplier ? norm / 4 : norm;
                            assertEquals(total, trueNorm, trueNorm * 1e-5, what);
                            assertClipped(host, real, trueNorm, maxNorm, withMultiplier, what);
                        }
                    }
                }
            }
        }
    }

    /**
     * A guarded step without loss scaling, in {@link ReportMode#ON_DEMAND}, reads nothing: a few
     * steps of {@code EasyTrain.fit} count zero reads, then asking for the last report counts one.
     *
     * @param engine the engine
     * @param kind fused or generic ops
     */
    @Test(dataProvider = "engineAndOps")
    public void clippedStepsReadNothing(String engine, String kind) {
        HostSyncCounter counter = new HostSyncCounter();
        ClippingTrainingListener guard =
                ClippingTrainingListener.builder()
                        .setStrategy(ClipStrategy.globalNorm(1f))
                        .optReportMode(ReportMode.ON_DEMAND)
                        .optGradientOps(new HostSyncCountingOps(ops(engine, kind), counter))
                        .build();
        try (TinyRegression problem = new TinyRegression(engine, 11);
                Trainer trainer =
                        problem.newTrainer(
                                new DefaultTrainingConfig(Loss.l2Loss())
                                        .optOptimizer(sgd())
                                        .addTrainingListeners(guard),
                                11)) {
            problem.fit(trainer, EPOCHS);
            assertEquals(guard.getStepCount(), STEPS);
            assertEquals(counter.reads(), 0, counter.log().toString());

            Optional<StepReport> last = guard.getLastReport();
            assertEquals(counter.reads(), 1, "the control read counts: " + counter.log());
            assertTrue(last.isPresent());
            assertEquals(last.get().step(), STEPS - 1);
            assertTrue(last.get().totalNorm() > 0f && Float.isFinite(last.get().totalNorm()));
        }
    }

    /**
     * A loss-scaled guarded step reads exactly once: the skip decision, which carries the norm and
     * the coefficient in the same transfer.
     *
     * @param engine the engine
     * @param kind fused or generic ops
     */
    @Test(dataProvider = "engineAndOps")
    public void lossScaledStepsReadOncePerStep(String engine, String kind) {
        HostSyncCounter counter = new HostSyncCounter();
        ClippingTrainingListener guard =
                ClippingTrainingListener.builder()
                        .setStrategy(ClipStrategy.globalNorm(1f))
                        .optLossScaler(LossScaler.dynamic())
                        .optReportMode(ReportMode.ON_DEMAND)
                        .optGradientOps(new HostSyncCountingOps(ops(engine, kind), counter))
                        .build();
        List<Integer> readsAfterEachBatch = new ArrayList<>();
        DefaultTrainingConfig config =
                GradGuard.trainingConfig(Loss.l2Loss(), sgd(), guard)
                        .addTrainingListeners(
                                new TrainingListenerAdapter() {
                                    @Override
                                    public void onTrainingBatch(Trainer t, BatchData batchData) {
                                        readsAfterEachBatch.add(counter.reads());
                                    }
                                });
        try (TinyRegression problem = new TinyRegression(engine, 12);
                Trainer trainer = problem.newTrainer(config, 12)) {
            problem.fit(trainer, EPOCHS);
        }
        assertEquals(readsAfterEachBatch.size(), STEPS);
        int previous = 0;
        for (int i = 0; i < STEPS; i++) {
            int now = readsAfterEachBatch.get(i);
            assertEquals(now - previous, 1, "reads at step " + i + ": " + counter.log());
            previous = now;
        }
    }

    /**
     * No class on the clip path calls a read method on any {@code NDArray} type: the strategies and
     * their arithmetic, the step pipeline, the gradient collection, the scalar cache, and every
     * {@code GradientOps} implementation with its helpers. This covers what the wrappers cannot see
     * (reads inside the ops, reads of the collected gradient handles). The listener and the binding
     * call none; the step runner calls exactly one: the packed read of a step that must decide or
     * report. {@code MxSelfCheck}, which reads once when the MXNet ops are created, is not on the
     * step path.
     */
    @Test
    public void noClassOnTheClipPathCallsAReadMethod() {
        List<String> classes =
                List.of(
                        "io.gradguard.clip.GlobalNormClip",
                        "io.gradguard.clip.PerParameterNormClip",
                        "io.gradguard.clip.ValueClip",
                        "io.gradguard.clip.ObserveOnlyClip",
                        "io.gradguard.clip.ClipMath",
                        "io.gradguard.StepPipeline",
                        "io.gradguard.ClippingTrainingListener",
                        "io.gradguard.GuardBinding",
                        "io.gradguard.StepDecision",
                        "io.gradguard.spi.GradientOps",
                        "io.gradguard.spi.GlobalNormStep",
                        "io.gradguard.internal.TrainableParameters",
                        "io.gradguard.spi.DeviceScalars",
                        "io.gradguard.spi.GenericGradientOps",
                        "io.gradguard.pytorch.PtGradientOps",
                        "io.gradguard.pytorch.PtArguments",
                        "io.gradguard.pytorch.TorchScriptOps",
                        "io.gradguard.mxnet.MxGradientOps",
                        "io.gradguard.mxnet.MxMultiTensorKernels",
                        "io.gradguard.mxnet.MxInPlaceInvoker",
                        "io.gradguard.mxnet.MxGradReq");
        for (String name : classes) {
            assertEquals(HostSyncBytecode.readCalls(name), List.of(), name);
        }
        assertEquals(
                HostSyncBytecode.readCalls("io.gradguard.StepRunner"),
                List.of("ai/djl/ndarray/NDArray.toFloatArray"));
    }

    private static void assertClipped(
            List<HostTensor> before,
            List<NDArray> after,
            double trueNorm,
            float maxNorm,
            boolean withMultiplier,
            String what) {
        double coef = Math.min(1, maxNorm / (trueNorm + 1e-6)) * (withMultiplier ? 0.25 : 1);
        double[] expected = HostTensor.concat(before);
        double[] actual = HostTensor.concat(HostTensor.of(after));
        for (int i = 0; i < expected.length; i++) {
            double e = expected[i] * coef;
            assertEquals(actual[i], e, Math.abs(e) * 1e-5 + 1e-30, what + " element " + i);
        }
    }

    private static List<String> names(int count) {
        List<String> names = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            names.add("p" + i);
        }
        return names;
    }

    private static Optimizer sgd() {
        return Optimizer.sgd().setLearningRateTracker(Tracker.fixed(0.01f)).build();
    }
}
