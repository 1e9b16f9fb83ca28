package io.gradguard.examples;

import java.util.function.Function;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;

/**
 * The demo's data and model options, with {@code --full} for the story's full-size setting. An
 * option given explicitly wins over {@code --full}.
 */
final class ModelOptions {

    /** The full-size setting: 180-day sequences. */
    static final int FULL_SEQ_LEN = 180;

    /** The full-size setting: LSTM state size. */
    static final int FULL_HIDDEN = 256;

    /** The full-size setting: stacked LSTM layers. */
    static final int FULL_LAYERS = 2;

    /** The full-size setting: batch size. */
    static final int FULL_BATCH_SIZE = 64;

    /** The full-size setting: dropout before the output. */
    static final float FULL_DROPOUT = 0.3f;

    @Option(
            names = "--full",
            description =
                    "the story's full size: 180-day sequences, 2-layer LSTM, hidden 256, dropout"
                            + " 0.3, batch 64 (see the footer for its time)")
    boolean full;

    @Option(
            names = "--users",
            defaultValue = "4000",
            description = "number of users (default: ${DEFAULT-VALUE})")
    int users;

    @Option(names = "--seq-len", description = "days per sequence (default: 90; --full 180)")
    Integer seqLen;

    @Option(
            names = "--hidden",
            description = "embedding and LSTM state size (default: 32; --full 256)")
    Integer hidden;

    @Option(names = "--layers", description = "stacked LSTM layers (default: 1; --full 2)")
    Integer layers;

    @Option(names = "--batch-size", description = "batch size (default: 32; --full 64)")
    Integer batchSize;

    @Option(
            names = "--long-tail-share",
            defaultValue = "0.01",
            description = "share of power users (default: ${DEFAULT-VALUE})")
    double longTailShare;

    int seqLen() {
        return seqLen != null ? seqLen : full ? FULL_SEQ_LEN : 90;
    }

    int hidden() {
        return hidden != null ? hidden : full ? FULL_HIDDEN : 32;
    }

    int layers() {
        return layers != null ? layers : full ? FULL_LAYERS : 1;
    }

    int batchSize() {
        return batchSize != null ? batchSize : full ? FULL_BATCH_SIZE : 32;
    }

    float dropRate() {
        return full ? FULL_DROPOUT : 0.2f;
    }

    /**
     * Checks the values, one message per option.
     *
     * @param usage makes the usage error for a message
     * @throws ParameterException naming the first value out of range
     */
    void validate(Function<String, ParameterException> usage) {
        requirePositive(usage, "--hidden", hidden());
        requirePositive(usage, "--layers", layers());
        requirePositive(usage, "--batch-size", batchSize());
        if (users < 10) {
            throw usage.apply("--users must be >= 10, got " + users);
        }
        if (seqLen() < 6) {
            throw usage.apply("--seq-len must be >= 6, got " + seqLen());
        }
        if (!(longTailShare >= 0 && longTailShare < 1)) {
            throw usage.apply("--long-tail-share must be in [0, 1), got " + longTailShare);
        }
        int validation = (int) Math.round(users * ChurnDataSpec.DEFAULT_VALIDATION_SHARE);
        if (batchSize() > users - validation) {
            throw usage.apply(
                    "--batch-size "
                            + batchSize()
                            + " exceeds the "
                            + (users - validation)
                            + " training users");
        }
    }

    static void requirePositive(
            Function<String, ParameterException> usage, String name, int value) {
        if (value < 1) {
            throw usage.apply(name + " must be >= 1, got " + value);
        }
    }
}
