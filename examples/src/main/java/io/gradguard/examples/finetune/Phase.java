package io.gradguard.examples.finetune;

import ai.djl.nn.SequentialBlock;

/**
 * The gradual-unfreezing schedule: the new head alone, then the head and the top layer of the
 * backbone, then everything. Each phase lasts the same number of optimizer steps; all phases run on
 * the same trainer, the guard picking up each change of the trainable set at the next batch.
 */
enum Phase {
    HEAD("head"),
    TOP("head + top of backbone"),
    ALL("everything");

    private final String label;

    Phase(String label) {
        this.label = label;
    }

    /** Returns the words the summary uses for this phase. */
    String label() {
        return label;
    }

    /** Returns the phase of an optimizer step (0-based). */
    static Phase at(long step, int stepsPerPhase) {
        return values()[(int) Math.min(2, step / stepsPerPhase)];
    }

    /**
     * Freezes the backbone for this phase (the head always trains): all of it for {@link #HEAD},
     * all but its top layer for {@link #TOP}, none of it for {@link #ALL}.
     */
    void apply(SequentialBlock backbone) {
        backbone.freezeParameters(this != ALL);
        if (this == TOP) {
            Backbone.top(backbone).freezeParameters(false);
        }
    }
}
