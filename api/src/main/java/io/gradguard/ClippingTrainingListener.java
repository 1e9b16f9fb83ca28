package io.gradguard;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.training.Trainer;
import ai.djl.training.listener.TrainingListenerAdapter;
import io.gradguard.internal.TrainableParameters;
import io.gradguard.spi.GradientOps;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A DJL {@link ai.djl.training.listener.TrainingListener} that bounds the gradients of every
 * training step, after backward and before the optimizer update.
 *
 * <pre>{@code
 * ClippingTrainingListener guard = ClippingTrainingListener.builder()
 *         .setStrategy(ClipStrategy.globalNorm(1f))
 *         .build();
 * DefaultTrainingConfig config = new DefaultTrainingConfig(loss)
 *         .optOptimizer(Optimizer.adamW().build())
 *         .addTrainingListeners(TrainingListener.Defaults.logging())
 *         .addTrainingListeners(guard);
 * EasyTrain.fit(trainer, epochs, trainSet, validateSet); // unchanged
 * }</pre>
 *
 * <h2>Order of operations</h2>
 *
 * DJL's {@code EasyTrain.trainBatch} runs forward, loss and backward, then calls {@link
 * #onTrainingBatch}; {@code Trainer.step()} follows. In {@code onTrainingBatch} this listener:
 *
 * <ol>
 *   <li>collects the gradients of the trainable parameters (frozen ones and ones without a gradient
 *       are left out), summing each parameter's gradient over the training devices onto the first
 *       device and zeroing the other copies, so that the norm is the norm of the gradient the
 *       optimizer will use: {@code sqrt(sum_p ||sum_d g_pd||^2)};
 *   <li>applies the {@link ClipStrategy} in place, on the device, with no host synchronization;
 *   <li>records a {@link StepReport}: by default the step's norm, coefficient and clip flag are
 *       read back in one transfer, to update {@link #getStatistics()}, the trainer's metrics
 *       ({@value #METRIC_NORM}, {@value #METRIC_COEFFICIENT}) and the report consumer. With {@link
 *       ReportMode#ON_DEMAND} nothing is read until {@link #getLastReport()} is called.
 * </ol>
 *
 * Every array the listener creates in a step lives in a sub-manager of the trainer's manager that
 * is closed before {@code onTrainingBatch} returns.
 *
 * <p>One listener guards one trainer at a time; it rebinds to a new trainer after the previous one
 * was closed.
 */
public final class ClippingTrainingListener extends TrainingListenerAdapter {

    /** Metric name of the pre-clip total gradient norm, written once per step. */
    public static final String METRIC_NORM = "gradient_norm";

    /** Metric name of the clip coefficient, written once per step. */
    public static final String METRIC_COEFFICIENT = "gradient_clip_coefficient";

    private static final Logger logger = LoggerFactory.getLogger(ClippingTrainingListener.class);

    private final ClipStrategy strategy;
    private final Consumer<StepReport> reportConsumer;
    private final ReportMode reportMode;

    private Trainer trainer;
    private TrainableParameters parameters;
    private GradientOps ops;
    private NDManager listenerManager;
    private NDArray pendingReport;
    private long pendingStep;
    private int pendingEpoch;
    private long pendingBatch;
    private long step;
    private int epoch;
    private long batchInEpoch;
    private StepReport lastReport;
    private ClipStatistics statistics = ClipStatistics.EMPTY;

    private ClippingTrainingListener(Builder builder) {
        this.strategy = builder.strategy;
        this.reportConsumer = builder.reportConsumer;
        this.reportMode = builder.reportMode;
    }

    /**
     * Returns a builder; {@link Builder#setStrategy(ClipStrategy)} is required.
     *
     * @return a new builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Returns the strategy this listener applies.
     *
     * @return the strategy
     */
    public ClipStrategy getStrategy() {
        return strategy;
    }

    /**
     * Returns the statistics of the steps reported so far. With {@link ReportMode#ON_DEMAND} only
     * the steps whose report was read count.
     *
     * @return an immutable snapshot
     */
    public ClipStatistics getStatistics() {
        return statistics;
    }

    /**
     * Returns the report of the latest step, reading it from the device if it has not been read yet
     * (one synchronization).
     *
     * @return the latest report, or empty before the first step
     */
    public Optional<StepReport> getLastReport() {
        if (pendingReport != null) {
            materialize();
        }
        return Optional.ofNullable(lastReport);
    }

    /** {@inheritDoc} */
    @Override
    public void onTrainingBegin(Trainer trainer) {
        if (this.trainer != null && this.trainer != trainer && this.trainer.getManager().isOpen()) {
            throw new IllegalStateException(
                    "This ClippingTrainingListener already guards another trainer that is still"
                            + " open; build one listener per trainer.");
        }
        checkDataType(trainer);
        this.trainer = trainer;
        this.parameters = null;
        this.ops = null;
        this.step = 0;
        this.epoch = 0;
        this.batchInEpoch = 0;
        this.statistics = ClipStatistics.EMPTY;
        this.lastReport = null;
    }

    /** {@inheritDoc} */
    @Override
    public void onEpoch(Trainer trainer) {
        epoch++;
        batchInEpoch = 0;
    }

    /** {@inheritDoc} */
    @Override
    public void onTrainingBatch(
            Trainer trainer, ai.djl.training.listener.TrainingListener.BatchData batchData) {
        ensureBound(trainer);
        try (NDManager stepManager = trainer.getManager().newSubManager()) {
            stepManager.setName("gradguard-step");
            List<NDArray> grads = new ArrayList<>();
            List<NDArray> weights = new ArrayList<>();
            List<String> names = new ArrayList<>();
            List<NDArray> gathered =
                    parameters.gather(stepManager, g -> ops.zeroInPlace(List.of(g)));
            List<NDArray> values = parameters.primaryValues();
            for (int i = 0; i < gathered.size(); i++) {
                if (gathered.get(i) != null) {
                    grads.add(gathered.get(i));
                    weights.add(values.get(i));
                    names.add(parameters.names().get(i));
                }
            }
            if (!grads.isEmpty()) {
                ClipOutcome outcome =
                        strategy.apply(new ClipContext(ops, grads, weights, names, null, step));
                record(outcome);
            }
        }
        step++;
        batchInEpoch++;
    }

    /** {@inheritDoc} */
    @Override
    public void onTrainingEnd(Trainer trainer) {
        if (pendingReport != null) {
            materialize();
        }
        if (listenerManager != null) {
            listenerManager.close();
            listenerManager = null;
        }
        this.trainer = null;
        this.parameters = null;
    }

    private void ensureBound(Trainer trainer) {
        if (this.trainer == null) {
            onTrainingBegin(trainer);
        } else if (this.trainer != trainer) {
            throw new IllegalStateException(
                    "This ClippingTrainingListener guards another trainer; build one listener per"
                            + " trainer.");
        }
        if (parameters == null) {
            parameters = TrainableParameters.of(trainer);
            Engine engine = trainer.getManager().getEngine();
            ops = GradientOps.forEngine(engine);
        }
    }

    private void record(ClipOutcome outcome) {
        NDArray packed =
                NDArrays.stack(
                        new NDList(outcome.totalNorm(), outcome.coefficient(), outcome.clipped()));
        if (reportMode == ReportMode.EVERY_STEP) {
            float[] values = packed.toFloatArray();
            publish(toReport(values, step, epoch, batchInEpoch));
            return;
        }
        if (listenerManager == null) {
            listenerManager = trainer.getManager().newSubManager();
            listenerManager.setName("gradguard-reports");
        }
        if (pendingReport != null) {
            pendingReport.close();
        }
        packed.attach(listenerManager);
        pendingReport = packed;
        pendingStep = step;
        pendingEpoch = epoch;
        pendingBatch = batchInEpoch;
    }

    private void materialize() {
        float[] values = pendingReport.toFloatArray();
        pendingReport.close();
        pendingReport = null;
        publish(toReport(values, pendingStep, pendingEpoch, pendingBatch));
    }

    private static StepReport toReport(float[] values, long step, int epoch, long batch) {
        float norm = values[0];
        return new StepReport(
                step,
                epoch,
                batch,
                norm,
                values[1],
                values[2] > 0f,
                1f,
                !Float.isFinite(norm),
                false,
                1);
    }

    private void publish(StepReport report) {
        lastReport = report;
        statistics = statistics.plus(report);
        if (trainer != null && trainer.getMetrics() != null) {
            trainer.getMetrics().addMetric(METRIC_NORM, report.totalNorm());
            trainer.getMetrics().addMetric(METRIC_COEFFICIENT, report.coefficient());
        }
        if (reportConsumer != null) {
            try {
                reportConsumer.accept(report);
            } catch (RuntimeException e) {
                logger.warn("The step report consumer threw at step {}; ignored", report.step(), e);
            }
        }
    }

    private static void checkDataType(Trainer trainer) {
        DataType type = trainer.getModel().getDataType();
        String engine = trainer.getManager().getEngine().getEngineName();
        if (type == DataType.BFLOAT16) {
            throw new IllegalArgumentException(
                    "Model data type bfloat16 is not supported: DJL's native code aborts the JVM on"
                            + " bfloat16 training. Train in float32 or float16.");
        }
        if (type == DataType.FLOAT16 && "MXNet".equals(engine)) {
            throw new IllegalArgumentException(
                    "Model data type float16 is not supported on the MXNet engine: DJL cannot"
                            + " initialize float16 parameters there. Use the PyTorch engine for"
                            + " float16.");
        }
    }

    /** When step reports are read back from the device. */
    public enum ReportMode {
        /** Read each step's norm, coefficient and flag in one transfer at the end of the step. */
        EVERY_STEP,
        /**
         * Never read during training; {@link #getLastReport()} reads the latest step on demand, and
         * statistics, metrics and the report consumer see only the steps read that way.
         */
        ON_DEMAND
    }

    /** Builds a {@link ClippingTrainingListener}. */
    public static final class Builder {

        private ClipStrategy strategy;
        private Consumer<StepReport> reportConsumer;
        private ReportMode reportMode = ReportMode.EVERY_STEP;

        private Builder() {}

        /**
         * Sets the clip strategy. Required.
         *
         * @param strategy the strategy, for example {@link ClipStrategy#globalNorm(float)}
         * @return this builder
         */
        public Builder setStrategy(ClipStrategy strategy) {
            this.strategy = Objects.requireNonNull(strategy, "strategy");
            return this;
        }

        /**
         * Sets a consumer called with every step's report, on the training thread. An exception it
         * throws is logged and never interrupts training.
         *
         * @param consumer the consumer
         * @return this builder
         */
        public Builder optReportConsumer(Consumer<StepReport> consumer) {
            this.reportConsumer = Objects.requireNonNull(consumer, "consumer");
            return this;
        }

        /**
         * Sets when reports are read from the device; {@link ReportMode#EVERY_STEP} by default.
         *
         * @param mode the mode
         * @return this builder
         */
        public Builder optReportMode(ReportMode mode) {
            this.reportMode = Objects.requireNonNull(mode, "mode");
            return this;
        }

        /**
         * Builds the listener.
         *
         * @return the listener
         * @throws IllegalStateException if no strategy was set
         */
        public ClippingTrainingListener build() {
            if (strategy == null) {
                throw new IllegalStateException(
                        "No clip strategy set: call setStrategy(ClipStrategy.globalNorm(1f)) or"
                                + " another ClipStrategy factory before build()");
            }
            return new ClippingTrainingListener(this);
        }
    }
}
