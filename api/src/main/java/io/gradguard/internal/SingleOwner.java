package io.gradguard.internal;

import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A component with per-run state (a dynamic loss scaler, a history-based strategy) that may belong
 * to one {@link io.gradguard.ClippingTrainingListener} only: two listeners sharing it would mix
 * their runs.
 */
public interface SingleOwner {

    /**
     * Returns the component's ownership record.
     *
     * @return the record, one per component
     */
    Ownership ownership();

    /** Whether a listener has claimed a component; claimed at most once. */
    final class Ownership {

        private final AtomicBoolean owned = new AtomicBoolean();

        /**
         * Claims the component.
         *
         * @return {@code false} if it already belongs to a listener
         */
        public boolean claim() {
            return owned.compareAndSet(false, true);
        }

        /**
         * Returns whether a listener has claimed the component.
         *
         * @return whether it is claimed
         */
        public boolean claimed() {
            return owned.get();
        }
    }
}
