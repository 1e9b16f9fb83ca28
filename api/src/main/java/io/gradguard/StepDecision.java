package io.gradguard;

import io.gradguard.clip.NonFiniteGradientException;
import java.util.Objects;

/**
 * What the guard does with one optimizer step, and why: computed once per step, in {@link
 * #of(StepMeasurement, NonFinitePolicy)}, from the step's measurement and the policy.
 *
 * @param action what the optimizer does
 * @param reason why
 */
record StepDecision(Action action, Reason reason) {

    /** What the optimizer does at the step. */
    enum Action {
        /** Update the weights. */
        APPLY,
        /** Leave weights and optimizer state untouched; zero the gradients. */
        SKIP,
        /** Leave everything untouched and keep the gradients (an accumulation micro-step). */
        HOLD,
        /** Update nothing and throw a {@link NonFiniteGradientException}. */
        ERROR
    }

    /** Why. */
    enum Reason {
        /** Finite loss and gradients (or nothing was checked). */
        CLEAN,
        /** A finite loss with non-finite gradients. */
        OVERFLOW,
        /** A non-finite loss. */
        DATA_FAULT,
        /** A micro-batch before the last of its accumulation window. */
        ACCUMULATING,
        /** No trainable parameter had a gradient. */
        NO_GRADIENTS
    }

    /** A micro-step of an accumulation window. */
    static final StepDecision HOLD = new StepDecision(Action.HOLD, Reason.ACCUMULATING);

    /** A step with nothing to guard. */
    static final StepDecision NOTHING_TO_GUARD =
            new StepDecision(Action.APPLY, Reason.NO_GRADIENTS);

    /** A step whose values were not read (nothing to decide). */
    static final StepDecision UNREAD = new StepDecision(Action.APPLY, Reason.CLEAN);

    /**
     * Checks that both parts are present.
     *
     * @param action the record component {@code action}
     * @param reason the record component {@code reason}
     */
    StepDecision {
        Objects.requireNonNull(action, "action");
        Objects.requireNonNull(reason, "reason");
    }

    /** Decides a measured step under a policy. */
    static StepDecision of(StepMeasurement m, NonFinitePolicy policy) {
        Reason reason =
                m.dataFault() ? Reason.DATA_FAULT : m.nonFinite() ? Reason.OVERFLOW : Reason.CLEAN;
        if (reason == Reason.CLEAN) {
            return new StepDecision(Action.APPLY, reason);
        }
        Action action =
                switch (policy) {
                    case SKIP_STEP -> Action.SKIP;
                    case ERROR -> Action.ERROR;
                    case PROPAGATE -> Action.APPLY;
                };
        return new StepDecision(action, reason);
    }

    /** Returns whether the step leaves the weights untouched. */
    boolean skips() {
        return action == Action.SKIP || action == Action.ERROR;
    }
}
