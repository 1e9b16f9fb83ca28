package io.gradguard.examples;

import io.gradguard.clip.ClipStrategy;
import java.util.Objects;

/**
 * The settings of one training run of the churn model.
 *
 * @param engine the DJL engine name, {@code "PyTorch"} or {@code "MXNet"}
 * @param label a short name for tables, for example {@code "unguarded"}
 * @param strategy the clip strategy; {@link ClipStrategy#observeOnly()} for the unguarded run
 * @param optimizer the optimizer
 * @param learningRate the fixed learning rate, {@code >= 0}; 0 keeps the weights where they were
 *     initialised (the measure phase)
 * @param epochs the number of epochs, {@code >= 1}
 * @param batchSize the batch size, {@code >= 1}
 * @param hidden the embedding and LSTM state size, {@code >= 1}
 * @param layers the number of stacked LSTM layers, {@code >= 1}
 * @param dropRate the dropout rate before the output, in [0, 1)
 * @param mixedPrecision whether to train a float16 model with a dynamic loss scaler (PyTorch only)
 * @param accumulationSteps micro-batches per optimizer step, {@code >= 1}
 * @param stopAtNonFiniteLoss whether to stop at the end of the epoch in which a batch's loss first
 *     became NaN or infinite
 * @param seed the engine's random seed (initialisation, dropout, shuffling)
 */
public record RunSettings(
        String engine,
        String label,
        ClipStrategy strategy,
        OptimizerChoice optimizer,
        float learningRate,
        int epochs,
        int batchSize,
        int hidden,
        int layers,
        float dropRate,
        boolean mixedPrecision,
        int accumulationSteps,
        boolean stopAtNonFiniteLoss,
        int seed) {

    /**
     * Checks the values.
     *
     * @param engine the record component {@code engine}
     * @param label the record component {@code label}
     * @param strategy the record component {@code strategy}
     * @param optimizer the record component {@code optimizer}
     * @param learningRate the record component {@code learningRate}
     * @param epochs the record component {@code epochs}
     * @param batchSize the record component {@code batchSize}
     * @param hidden the record component {@code hidden}
     * @param layers the record component {@code layers}
     * @param dropRate the record component {@code dropRate}
     * @param mixedPrecision the record component {@code mixedPrecision}
     * @param accumulationSteps the record component {@code accumulationSteps}
     * @param stopAtNonFiniteLoss the record component {@code stopAtNonFiniteLoss}
     * @param seed the record component {@code seed}
     * @throws IllegalArgumentException naming the first value out of range
     */
    public RunSettings {
        Objects.requireNonNull(engine, "engine");
        Objects.requireNonNull(label, "label");
        Objects.requireNonNull(strategy, "strategy");
        Objects.requireNonNull(optimizer, "optimizer");
        if (!(learningRate >= 0 && Float.isFinite(learningRate))) {
            throw new IllegalArgumentException("learningRate must be >= 0, got " + learningRate);
        }
        requireAtLeastOne("epochs", epochs);
        requireAtLeastOne("batchSize", batchSize);
        requireAtLeastOne("hidden", hidden);
        requireAtLeastOne("layers", layers);
        requireAtLeastOne("accumulationSteps", accumulationSteps);
        if (!(dropRate >= 0 && dropRate < 1)) {
            throw new IllegalArgumentException("dropRate must be in [0, 1), got " + dropRate);
        }
    }

    private static void requireAtLeastOne(String name, int value) {
        if (value < 1) {
            throw new IllegalArgumentException(name + " must be >= 1, got " + value);
        }
    }

    /**
     * Returns these settings with another label, learning rate and number of epochs, and the
     * strategy {@code newStrategy}, never stopping early: the measure phase.
     *
     * @param newLabel the label
     * @param newStrategy the strategy
     * @param newLearningRate the learning rate, {@code >= 0}
     * @param newEpochs the number of epochs, {@code >= 1}
     * @return the new settings
     */
    public RunSettings measuring(
            String newLabel, ClipStrategy newStrategy, float newLearningRate, int newEpochs) {
        return new RunSettings(
                engine,
                newLabel,
                newStrategy,
                optimizer,
                newLearningRate,
                newEpochs,
                batchSize,
                hidden,
                layers,
                dropRate,
                mixedPrecision,
                accumulationSteps,
                false,
                seed);
    }

    /**
     * Returns these settings with another label, strategy and stop rule: the guarded twin of an
     * unguarded run, or the reverse.
     *
     * @param newLabel the label
     * @param newStrategy the strategy
     * @param stop whether to stop at the first non-finite loss
     * @return the new settings
     */
    public RunSettings with(String newLabel, ClipStrategy newStrategy, boolean stop) {
        return new RunSettings(
                engine,
                newLabel,
                newStrategy,
                optimizer,
                learningRate,
                epochs,
                batchSize,
                hidden,
                layers,
                dropRate,
                mixedPrecision,
                accumulationSteps,
                stop,
                seed);
    }
}
