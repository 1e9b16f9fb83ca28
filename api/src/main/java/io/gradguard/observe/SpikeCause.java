package io.gradguard.observe;

/**
 * The usual causes of gradient spikes, as practitioners classify them; see {@link SpikeSummary} for
 * the rules that assign them.
 */
public enum SpikeCause {
    /** Spikes tied to specific examples, reproducible across epochs. */
    DATA(
            "spikes are tied to specific batches and recur on the same examples",
            "find and filter the offending examples"),
    /** Spikes growing in frequency over the run. */
    LEARNING_RATE(
            "spikes grow in frequency over the run",
            "lower the peak learning rate or lengthen the warmup"),
    /** Spikes mostly non-finite. */
    NUMERICS(
            "spikes are mostly non-finite values (precision-dependent)",
            "audit the fp16 range, reductions and logits (or train in fp32 to compare)"),
    /** Spikes from the first steps on, spread evenly. */
    CONDITIONING(
            "spikes appear from the first steps and are spread evenly over the run",
            "revisit initialization, normalization and residual scaling");

    private final String symptom;
    private final String fix;

    SpikeCause(String symptom, String fix) {
        this.symptom = symptom;
        this.fix = fix;
    }

    /**
     * Returns what the spikes look like when this is the cause.
     *
     * @return the symptom, in words
     */
    public String symptom() {
        return symptom;
    }

    /**
     * Returns the usual fix.
     *
     * @return the fix, in words
     */
    public String fix() {
        return fix;
    }
}
