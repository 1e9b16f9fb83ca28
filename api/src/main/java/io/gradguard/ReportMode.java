package io.gradguard;

/** When a {@link ClippingTrainingListener}'s step reports are read back from the device. */
public enum ReportMode {
    /** Read each step's norm, coefficient and flags in one transfer at the end of the step. */
    EVERY_STEP,
    /**
     * Read only when a decision needs it (a loss scaler or a skip/error policy makes one read per
     * step regardless) or when {@link ClippingTrainingListener#getLastReport()} is called;
     * statistics, metrics and observers then see only the steps that were read.
     */
    ON_DEMAND
}
