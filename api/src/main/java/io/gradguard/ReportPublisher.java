package io.gradguard;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.Trainer;
import ai.djl.training.dataset.Batch;
import io.gradguard.event.AlertEvent;
import io.gradguard.event.GuardEventPublisher;
import io.gradguard.internal.UserCallbacks;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns step measurements into {@link StepReport}s and hands them to statistics, metrics, the
 * report consumer and the observers, isolating training from what they throw ({@link
 * UserCallbacks}: everything but a {@link VirtualMachineError} is logged at WARN and ignored).
 */
final class ReportPublisher {

    private static final Logger logger = LoggerFactory.getLogger(ReportPublisher.class);

    private final GuardSettings settings;
    private ClipStatistics statistics = ClipStatistics.EMPTY;
    private StepReport lastReport;
    private NDManager deferredManager;
    private NDArray deferred;
    private StepReport deferredShape;

    ReportPublisher(GuardSettings settings) {
        this.settings = settings;
    }

    void reset() {
        statistics = ClipStatistics.EMPTY;
        lastReport = null;
        dropDeferred();
    }

    ClipStatistics statistics() {
        return statistics;
    }

    /** Replaces the statistics with restored ones; drops any unread report. */
    void restore(ClipStatistics restored) {
        statistics = restored;
        lastReport = null;
        dropDeferred();
    }

    boolean readsEveryStep() {
        return settings.reportMode() == ReportMode.EVERY_STEP;
    }

    boolean wantsParameterNorms() {
        return !settings.observers().isEmpty() && settings.reportMode() == ReportMode.EVERY_STEP;
    }

    /** Keeps a step's packed values on the device until someone asks for them. */
    void defer(NDArray packed, long step, int epoch, long batch, float scale, int micro) {
        if (deferredManager == null) {
            deferredManager = packed.getManager().getParentManager().newSubManager();
            deferredManager.setName("gradguard-deferred-report");
        }
        if (deferred != null) {
            deferred.close();
        }
        packed.attach(deferredManager);
        deferred = packed;
        deferredShape =
                new StepReport(step, epoch, batch, 0f, 1f, false, scale, false, false, micro);
    }

    Optional<StepReport> lastReport(Trainer trainer) {
        if (deferred != null) {
            StepMeasurement m = StepMeasurement.of(deferred.toFloatArray(), false);
            StepReport s = deferredShape;
            dropDeferred();
            publish(
                    trainer,
                    new StepReport(
                            s.step(),
                            s.epoch(),
                            s.batchIndex(),
                            m.totalNorm(),
                            m.coefficient(),
                            m.clipped(),
                            s.lossScale(),
                            m.nonFinite(),
                            false,
                            s.microBatches(),
                            m.dataFault()),
                    null,
                    null);
        }
        return Optional.ofNullable(lastReport);
    }

    void publish(Trainer trainer, StepReport report, StepPipeline pipeline, Batch batch) {
        lastReport = report;
        statistics = statistics.plus(report);
        if (trainer != null && trainer.getMetrics() != null) {
            trainer.getMetrics().addMetric(GuardMetrics.NORM, report.totalNorm());
            trainer.getMetrics().addMetric(GuardMetrics.COEFFICIENT, report.coefficient());
            trainer.getMetrics().addMetric(GuardMetrics.LOSS_SCALE, report.lossScale());
            trainer.getMetrics().addMetric(GuardMetrics.SKIPPED, statistics.skippedSteps());
            trainer.getMetrics().addMetric(GuardMetrics.THRESHOLD, settings.strategy().threshold());
        }
        if (settings.reportConsumer() != null) {
            UserCallbacks.run(
                    () -> settings.reportConsumer().accept(report),
                    logger,
                    "The report consumer {} threw at step {}; ignored",
                    settings.reportConsumer(),
                    report.step());
        }
        if (settings.observers().isEmpty()) {
            return;
        }
        StepDetails details =
                pipeline == null ? StepDetails.none() : new PipelineDetails(pipeline, batch);
        for (StepObserver observer : settings.observers()) {
            UserCallbacks.run(
                    () -> observer.onStep(report, details),
                    logger,
                    "Step observer {} threw at step {}; ignored",
                    observer,
                    report.step());
        }
    }

    /** Publishes an alert raised by the guard itself to every {@link GuardEventPublisher}. */
    void alert(AlertEvent event) {
        for (StepObserver observer : settings.observers()) {
            if (observer instanceof GuardEventPublisher events) {
                UserCallbacks.run(
                        () -> events.publish(event),
                        logger,
                        "Step observer {} threw on alert {}; ignored",
                        observer,
                        event);
            }
        }
    }

    void epochEnded(int epoch) {
        for (StepObserver observer : settings.observers()) {
            UserCallbacks.run(
                    () -> observer.onEpochEnd(epoch),
                    logger,
                    "Step observer {} threw at the end of epoch {}; ignored",
                    observer,
                    epoch);
        }
    }

    void trainingEnded(Trainer trainer) {
        lastReport(trainer);
        dropDeferred();
        for (StepObserver observer : settings.observers()) {
            UserCallbacks.run(
                    observer::onTrainingEnd,
                    logger,
                    "Step observer {} threw at the end of training; ignored",
                    observer);
        }
    }

    private void dropDeferred() {
        if (deferredManager != null) {
            deferredManager.close();
            deferredManager = null;
        }
        deferred = null;
    }

    /** {@link StepDetails} backed by a live pipeline; valid during {@code onStep}. */
    private static final class PipelineDetails implements StepDetails {

        private final StepPipeline pipeline;
        private final Batch batch;

        PipelineDetails(StepPipeline pipeline, Batch batch) {
            this.pipeline = pipeline;
            this.batch = batch;
        }

        @Override
        public List<String> parameterNames() {
            return List.copyOf(pipeline.names());
        }

        @Override
        public float[] parameterNorms() {
            if (pipeline.preClipNorms() == null) {
                return new float[0];
            }
            return pipeline.preClipNorms().toFloatArray();
        }

        @Override
        public List<?> datasetIndices() {
            if (batch == null || batch.getIndices() == null) {
                return List.of();
            }
            return List.copyOf(batch.getIndices());
        }
    }
}
