package io.gradguard.examples.finetune;

import java.nio.file.Path;

/**
 * What one fine-tuning run does, as the command line sets it.
 *
 * @param engine the DJL engine name, {@code "PyTorch"} or {@code "MXNet"}
 * @param float16 whether the model trains in float16 with dynamic loss scaling (PyTorch only)
 * @param adamW AdamW if true, plain SGD (no momentum, no state) if false
 * @param learningRate the fixed learning rate
 * @param maxNorm the global-norm clip threshold
 * @param stepsPerPhase optimizer steps in each of the three unfreezing phases
 * @param checkpointEvery a checkpoint after every this many optimizer steps
 * @param stopAfter stop after this many optimizer steps in all (a simulated preemption), or 0
 * @param resume continue from the last checkpoint instead of starting from the backbone
 * @param batchSize samples per batch
 * @param seed the seed of data, backbone and head
 * @param out the output directory (summary, chart, checkpoints)
 * @param pretrained the directory of the pretrained backbone
 */
record FineTuneSettings(
        String engine,
        boolean float16,
        boolean adamW,
        float learningRate,
        float maxNorm,
        int stepsPerPhase,
        int checkpointEvery,
        int stopAfter,
        boolean resume,
        int batchSize,
        long seed,
        Path out,
        Path pretrained) {

    /** The name of the checkpoint files: {@code finetune-NNNN.params} and its guard state. */
    static final String CHECKPOINT = "finetune";

    /** Returns the total number of optimizer steps of an uninterrupted run. */
    int totalSteps() {
        return 3 * stepsPerPhase;
    }

    /** Returns the checkpoint directory. */
    Path checkpoints() {
        return out.resolve("checkpoints");
    }

    /** Returns a one-line description for the console and the summary. */
    String describe() {
        return engine
                + ", "
                + (float16 ? "float16 with LossScaler.dynamic() and float32 masters" : "float32")
                + ", "
                + (adamW ? "AdamW" : "SGD")
                + " lr "
                + learningRate
                + ", globalNorm("
                + maxNorm
                + "), "
                + stepsPerPhase
                + " steps per phase, batch "
                + batchSize
                + ", seed "
                + seed;
    }
}
