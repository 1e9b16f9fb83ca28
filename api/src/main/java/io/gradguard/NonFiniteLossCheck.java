package io.gradguard;

import ai.djl.TrainingDivergedException;
import ai.djl.training.Trainer;
import ai.djl.training.listener.EvaluatorTrainingListener;
import ai.djl.training.listener.TrainingListenerAdapter;

/**
 * The divergence check of {@link GradGuard#loggingListeners()}, in place of DJL's {@code
 * DivergenceCheckTrainingListener}: it throws a {@link TrainingDivergedException} as soon as the
 * epoch's training loss is NaN or infinite, unless a {@link ClippingTrainingListener} on the same
 * trainer handles non-finite steps itself (a loss scaler, {@link NonFinitePolicy#SKIP_STEP} or
 * {@link NonFinitePolicy#ERROR}): that guard skips or refuses such steps and declares divergence
 * after too many in a row. With {@link NonFinitePolicy#PROPAGATE}, or no guard, nothing else would
 * stop NaN from reaching the weights, so this check stops training before {@code Trainer.step()}.
 *
 * <p>Like DJL's check it reads the loss accumulator that {@code EvaluatorTrainingListener} keeps,
 * and must run after it.
 */
final class NonFiniteLossCheck extends TrainingListenerAdapter {

    /** {@inheritDoc} */
    @Override
    public void onTrainingBatch(Trainer trainer, BatchData batchData) {
        float loss = trainer.getLoss().getAccumulator(EvaluatorTrainingListener.TRAIN_ALL);
        if (Float.isFinite(loss) || guardHandlesNonFiniteSteps(trainer)) {
            return;
        }
        throw new TrainingDivergedException(
                "The training loss became "
                        + loss
                        + " and no guard on this trainer skips non-finite steps, so the next"
                        + " update would write it into the weights. Check the input data and the"
                        + " loss, lower the learning rate, or guard the trainer with a loss scaler"
                        + " or NonFinitePolicy.SKIP_STEP.");
    }

    private static boolean guardHandlesNonFiniteSteps(Trainer trainer) {
        return GuardChecks.guardsOn(trainer).stream()
                .anyMatch(ClippingTrainingListener::handlesNonFiniteSteps);
    }
}
