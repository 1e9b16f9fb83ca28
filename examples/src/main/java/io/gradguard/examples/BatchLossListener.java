package io.gradguard.examples;

import ai.djl.Device;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.training.Trainer;
import ai.djl.training.listener.TrainingListenerAdapter;
import ai.djl.training.loss.Loss;
import java.util.Map;

/**
 * Records the true (unscaled) loss of the latest training batch, averaged over devices, so that a
 * training loop can stop at the first non-finite loss. Reads one value per batch from the device.
 */
final class BatchLossListener extends TrainingListenerAdapter {

    private final Loss loss;
    private float last = Float.NaN;

    /**
     * Creates the listener.
     *
     * @param loss the loss to evaluate on each batch's predictions
     */
    BatchLossListener(Loss loss) {
        this.loss = loss;
    }

    /** {@inheritDoc} */
    @Override
    public void onTrainingBatch(Trainer trainer, BatchData batchData) {
        double sum = 0;
        int devices = 0;
        Map<Device, NDList> labels = batchData.getLabels();
        for (Map.Entry<ai.djl.Device, NDList> entry : batchData.getPredictions().entrySet()) {
            NDList predictions = entry.getValue();
            NDList label = labels.get(entry.getKey());
            try (NDManager scope = NDManager.subManagerOf(predictions.head())) {
                scope.tempAttachAll(predictions, label);
                sum += loss.evaluate(label, predictions).getFloat();
            }
            devices++;
        }
        last = devices == 0 ? Float.NaN : (float) (sum / devices);
    }

    /**
     * Returns the loss of the latest training batch.
     *
     * @return the loss, NaN before the first batch
     */
    float last() {
        return last;
    }
}
