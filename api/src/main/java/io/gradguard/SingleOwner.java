package io.gradguard;

/**
 * A component with per-run state (a dynamic loss scaler, a history-based strategy) that may belong
 * to one {@link ClippingTrainingListener} only: two listeners sharing it would mix their runs.
 */
interface SingleOwner {

    /**
     * Claims the component for a listener.
     *
     * @return {@code true} the first time, {@code false} if it already belongs to a listener
     */
    boolean claim();

    /**
     * Returns whether a listener has claimed the component.
     *
     * @return whether it is claimed
     */
    boolean claimed();
}
