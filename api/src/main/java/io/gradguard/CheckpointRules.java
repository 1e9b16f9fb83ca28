package io.gradguard;

import io.gradguard.clip.ClipStrategy;
import io.gradguard.clip.StatefulClipStrategy;
import io.gradguard.internal.StrategyNames;
import io.gradguard.scale.LossScaler;
import io.gradguard.scale.LossScalerState;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * When a {@link ClippingTrainingListener} may be checkpointed, and how a {@link GuardCheckpoint}
 * fits the listener it is restored into.
 */
final class CheckpointRules {

    private static final Logger logger = LoggerFactory.getLogger(CheckpointRules.class);

    private CheckpointRules() {}

    /**
     * Refuses to checkpoint inside an accumulation window or between a batch and its optimizer
     * step: the state there includes gradients (or an update not yet applied) that no file holds.
     */
    static void checkBoundary(int microInWindow, int accumulationSteps, boolean stepPending) {
        if (microInWindow > 0) {
            throw new IllegalStateException(
                    "Cannot checkpoint in the middle of an accumulation window (after micro-batch "
                            + microInWindow
                            + " of "
                            + accumulationSteps
                            + "): its partial gradients live in the parameters' gradient buffers,"
                            + " which no checkpoint holds. Save after the window's last"
                            + " micro-batch and its Trainer.step().");
        }
        if (stepPending) {
            throw new IllegalStateException(
                    "Cannot checkpoint between a batch and its Trainer.step(): the update of that"
                            + " batch has not been applied to the weights yet. Call"
                            + " trainer.step() first.");
        }
    }

    /** Returns the state a strategy carries across checkpoints (empty for stateless ones). */
    static Map<String, String> strategyState(ClipStrategy strategy) {
        return strategy instanceof StatefulClipStrategy stateful
                ? StrategyStateCodec.encode(stateful.state())
                : Map.of();
    }

    /**
     * Restores the loss scaler's and the strategy's state from a checkpoint, all or nothing.
     *
     * @throws IllegalArgumentException if the checkpoint does not fit the settings
     */
    static void restoreComponents(GuardSettings settings, GuardCheckpoint checkpoint) {
        LossScaler scaler = settings.scaler();
        String kind = GuardCheckpoint.kindOf(scaler);
        if (!kind.equals(checkpoint.scalerKind())) {
            throw new IllegalArgumentException(
                    "the checkpoint was written with a '"
                            + checkpoint.scalerKind()
                            + "' loss scaler but this listener's scaler is "
                            + scaler
                            + " ('"
                            + kind
                            + "')");
        }
        ClipStrategy strategy = settings.strategy();
        String strategyName = StrategyNames.of(strategy);
        StatefulClipStrategy stateful = null;
        if (strategy instanceof StatefulClipStrategy s) {
            if (!strategyName.equals(checkpoint.strategyName())) {
                throw new IllegalArgumentException(
                        "the checkpoint holds the state of strategy '"
                                + checkpoint.strategyName()
                                + "', which cannot be restored into strategy '"
                                + strategyName
                                + "'");
            }
            stateful = s;
        } else if (!checkpoint.strategyState().isEmpty()) {
            throw new IllegalArgumentException(
                    "the checkpoint holds state for strategy '"
                            + checkpoint.strategyName()
                            + "' but this listener's strategy "
                            + strategy
                            + " keeps none");
        }
        warnOnChangedSettings(settings, checkpoint);
        LossScalerState before = scaler.state();
        scaler.restore(checkpoint.scalerState());
        if (stateful != null) {
            try {
                stateful.restore(StrategyStateCodec.decode(checkpoint.strategyState()));
            } catch (RuntimeException e) {
                scaler.restore(before);
                throw e;
            }
        }
    }

    private static void warnOnChangedSettings(GuardSettings settings, GuardCheckpoint c) {
        if (!settings.strategy().toString().equals(c.strategy())) {
            logger.warn(
                    "Resuming with strategy {} from a checkpoint written with {}",
                    settings.strategy(),
                    c.strategy());
        }
        if (settings.accumulationSteps() != c.accumulationSteps()) {
            logger.warn(
                    "Resuming with {} accumulation steps from a checkpoint written with {}",
                    settings.accumulationSteps(),
                    c.accumulationSteps());
        }
        if (settings.policy() != c.policy()) {
            logger.warn(
                    "Resuming with policy {} from a checkpoint written with {}",
                    settings.policy(),
                    c.policy());
        }
    }

    /** Takes the state a checkpoint holds, from the settings, the counters and the statistics. */
    static GuardCheckpoint snapshot(
            GuardSettings settings, StepCounters c, ClipStatistics statistics) {
        return new GuardCheckpoint(
                c.step,
                c.epoch,
                c.batchInEpoch,
                c.consecutiveSkips,
                settings.accumulationSteps(),
                settings.policy(),
                settings.strategy().toString(),
                StrategyNames.of(settings.strategy()),
                strategyState(settings.strategy()),
                GuardCheckpoint.kindOf(settings.scaler()),
                settings.scaler().state(),
                statistics);
    }
}
