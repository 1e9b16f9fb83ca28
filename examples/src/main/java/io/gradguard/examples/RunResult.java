package io.gradguard.examples;

import io.gradguard.ClipStatistics;
import io.gradguard.StepReport;
import java.util.List;
import java.util.Optional;

/**
 * What one training run of the churn model produced.
 *
 * @param settings the run's settings
 * @param batches the training batches run (optimizer steps are in {@code statistics})
 * @param finalTrainLoss the mean training loss of the last epoch run (up to the stop, if stopped)
 * @param validationLoss the mean validation loss after training, NaN if the model outputs NaN
 * @param ordinaryValidationLoss the same over the validation users who are not power users
 * @param validationAuc the validation AUC after training, NaN if a score is not finite
 * @param statistics the guard's counters: steps, clipped and skipped steps
 * @param norms order statistics of the pre-clip gradient norms
 * @param millisPerBatch the mean wall time of forward, backward, guard and update per batch
 * @param nonFiniteWeightShare the share of weight elements that are NaN or infinite after training
 * @param divergence where the loss first became non-finite, if it did
 * @param reports the step reports, in step order
 */
public record RunResult(
        RunSettings settings,
        long batches,
        double finalTrainLoss,
        double validationLoss,
        double ordinaryValidationLoss,
        double validationAuc,
        ClipStatistics statistics,
        NormSummary norms,
        double millisPerBatch,
        double nonFiniteWeightShare,
        Optional<Divergence> divergence,
        List<StepReport> reports) {

    /**
     * Copies the report list.
     *
     * @param settings the record component {@code settings}
     * @param batches the record component {@code batches}
     * @param finalTrainLoss the record component {@code finalTrainLoss}
     * @param validationLoss the record component {@code validationLoss}
     * @param ordinaryValidationLoss the record component {@code ordinaryValidationLoss}
     * @param validationAuc the record component {@code validationAuc}
     * @param statistics the record component {@code statistics}
     * @param norms the record component {@code norms}
     * @param millisPerBatch the record component {@code millisPerBatch}
     * @param nonFiniteWeightShare the record component {@code nonFiniteWeightShare}
     * @param divergence the record component {@code divergence}
     * @param reports the record component {@code reports}
     */
    public RunResult {
        reports = List.copyOf(reports);
    }

    /**
     * Returns whether the run ended healthy: no non-finite loss, finite final and validation
     * losses, and finite weights.
     *
     * @return true if everything stayed finite
     */
    public boolean finishedFinite() {
        return divergence.isEmpty()
                && Double.isFinite(finalTrainLoss)
                && Double.isFinite(validationLoss)
                && nonFiniteWeightShare == 0;
    }
}
