package io.gradguard;

/**
 * The counters of a guarded run, owned by the {@link StepRunner}: what a checkpoint saves and what
 * the runner needs to detect a missing {@code Trainer.step()}.
 */
final class StepCounters {

    long step;
    int epoch;
    long batchInEpoch;
    int consecutiveSkips;
    int microInWindow;
    long batchesSeen;
    long updatesAtLastBatch;
    boolean stepExpected;

    void reset() {
        step = 0;
        epoch = 0;
        batchInEpoch = 0;
        consecutiveSkips = 0;
        microInWindow = 0;
        batchesSeen = 0;
        stepExpected = false;
    }

    /** Sets the counters a checkpoint holds. */
    void restore(GuardCheckpoint c) {
        step = c.step();
        epoch = c.epoch();
        batchInEpoch = c.batchInEpoch();
        consecutiveSkips = c.consecutiveSkips();
    }
}
