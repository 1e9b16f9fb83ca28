package io.gradguard.examples;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.dataset.ArrayDataset;
import java.util.Arrays;

/**
 * A generated churn data set held in host arrays, row-major {@code [user][day]}; see {@link
 * ChurnDataGenerator}. The first {@link ChurnDataSpec#trainUsers()} users train, the rest validate.
 */
public final class ChurnData {

    private final ChurnDataSpec spec;
    private final int[] eventTypes;
    private final float[] mask;
    private final float[] labels;
    private final boolean[] longTail;

    ChurnData(
            ChurnDataSpec spec,
            int[] eventTypes,
            float[] mask,
            float[] labels,
            boolean[] longTail) {
        this.spec = spec;
        this.eventTypes = eventTypes;
        this.mask = mask;
        this.labels = labels;
        this.longTail = longTail;
    }

    /**
     * Returns the spec this data was generated from.
     *
     * @return the spec
     */
    public ChurnDataSpec spec() {
        return spec;
    }

    /**
     * Returns a copy of the event type indices ({@link EventType#ordinal()}), {@code users *
     * seqLen} values.
     *
     * @return the event types
     */
    public int[] eventTypes() {
        return eventTypes.clone();
    }

    /**
     * Returns a copy of the padding mask as the pipeline built it: the number of events per day.
     *
     * @return the mask, {@code users * seqLen} values
     */
    public float[] mask() {
        return mask.clone();
    }

    /**
     * Returns a copy of the churn labels, 1 for churn.
     *
     * @return one label per user
     */
    public float[] labels() {
        return labels.clone();
    }

    /**
     * Returns a copy of the long-tail flags.
     *
     * @return one flag per user, true for a power user
     */
    public boolean[] longTail() {
        return longTail.clone();
    }

    /**
     * Returns the same data with the padding mask fixed: 1 on every day with at least one event, 0
     * on the others, as the mask was meant to be. Event types, labels and flags are unchanged.
     *
     * @return the fixed data
     */
    public ChurnData withBinaryMask() {
        float[] binary = new float[mask.length];
        for (int i = 0; i < mask.length; i++) {
            binary[i] = mask[i] > 0 ? 1f : 0f;
        }
        return new ChurnData(spec, eventTypes, binary, labels, longTail);
    }

    /**
     * Returns whether the user at a training dataset index is a long-tail power user. The training
     * dataset holds the first {@link ChurnDataSpec#trainUsers()} users in order, so its index
     * {@code i} is user {@code i}.
     *
     * @param index the training dataset index, in [0, trainUsers)
     * @return true for a power user
     * @throws IllegalArgumentException if {@code index} is outside [0, trainUsers)
     */
    public boolean isTrainingPowerUser(long index) {
        if (index < 0 || index >= spec.trainUsers()) {
            throw new IllegalArgumentException(
                    "index must be in [0, " + spec.trainUsers() + "), got " + index);
        }
        return longTail[(int) index];
    }

    /**
     * Returns the number of long-tail power users among {@code [from, to)}.
     *
     * @param from the first user
     * @param to one past the last user
     * @return the count
     */
    public int longTailCount(int from, int to) {
        int count = 0;
        for (int u = from; u < to; u++) {
            count += longTail[u] ? 1 : 0;
        }
        return count;
    }

    /**
     * Returns the labels of the validation users, in dataset order.
     *
     * @return the validation labels
     */
    public float[] validationLabels() {
        return Arrays.copyOfRange(labels, spec.trainUsers(), spec.users());
    }

    /**
     * Returns the long-tail flags of the validation users, in dataset order.
     *
     * @return one flag per validation user
     */
    public boolean[] validationLongTail() {
        return Arrays.copyOfRange(longTail, spec.trainUsers(), spec.users());
    }

    /**
     * Creates the training (shuffled) and validation (in order) datasets on {@code manager}. Each
     * record holds {@code data = [eventTypes int32 (seqLen), mask float32 (seqLen)]} and {@code
     * label = [churn float32 (1)]}.
     *
     * @param manager the manager of the engine that trains; it owns the arrays
     * @param batchSize the batch size, {@code >= 1}
     * @return the two datasets
     * @throws IllegalArgumentException if {@code batchSize < 1}
     */
    public ChurnDatasets toDatasets(NDManager manager, int batchSize) {
        if (batchSize < 1) {
            throw new IllegalArgumentException("batchSize must be >= 1, got " + batchSize);
        }
        int train = spec.trainUsers();
        ArrayDataset training = slice(manager, 0, train, batchSize, true);
        ArrayDataset validation = slice(manager, train, spec.users(), batchSize, false);
        return new ChurnDatasets(training, validation);
    }

    private ArrayDataset slice(
            NDManager manager, int from, int to, int batchSize, boolean shuffle) {
        int days = spec.seqLen();
        int n = to - from;
        NDArray types =
                manager.create(
                        Arrays.copyOfRange(eventTypes, from * days, to * days), new Shape(n, days));
        NDArray counts =
                manager.create(
                        Arrays.copyOfRange(mask, from * days, to * days), new Shape(n, days));
        NDArray y = manager.create(Arrays.copyOfRange(labels, from, to), new Shape(n, 1));
        return new ArrayDataset.Builder()
                .setData(types, counts)
                .optLabels(y)
                .setSampling(batchSize, shuffle)
                .build();
    }

    /**
     * The two datasets of one training run.
     *
     * @param training the shuffled training users
     * @param validation the validation users in order
     */
    public record ChurnDatasets(ArrayDataset training, ArrayDataset validation) {}
}
