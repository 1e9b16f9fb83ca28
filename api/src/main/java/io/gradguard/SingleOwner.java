package io.gradguard;

import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A component with per-run state (a dynamic loss scaler, a history-based strategy) that may belong
 * to one {@link ClippingTrainingListener} only: two listeners sharing it would mix their runs.
 */
interface SingleOwner {

    /**
     * Returns the component's ownership record.
     *
     * @return the record, one per component
     */
    Ownership ownership();

    /** Whether a listener has claimed a component; claimed at most once. */
    final class Ownership {

        private final AtomicBoolean owned = new AtomicBoolean();

        /** Claims the component; {@code false} if it already belongs to a listener. */
        boolean claim() {
            return owned.compareAndSet(false, true);
        }

        /** Returns whether a listener has claimed the component. */
        boolean claimed() {
            return owned.get();
        }
    }
}
