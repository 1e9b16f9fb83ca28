package io.gradguard.it.scenario;

import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.Tracker;
import io.gradguard.NonFinitePolicy;
import io.gradguard.clip.ClipStrategy;
import io.gradguard.scale.LossScaler;
import java.util.List;

/**
 * One guarded training scenario, drawn from a seed by {@link ScenarioGenerator}: the model, the
 * guard's configuration, and for every optimizer step (window of {@code accumulation}
 * micro-batches) the freeze state of the model's layers and at most one planted fault.
 *
 * @param seed the seed it was drawn from
 * @param model the model's shape
 * @param strategy the clip strategy
 * @param scaler the loss scaler
 * @param accumulation micro-batches per optimizer step
 * @param policy what the guard does with non-finite gradients
 * @param optimizer the wrapped optimizer
 * @param batchSize samples per micro-batch
 * @param windows one plan per optimizer step
 * @param checkpointWindow the window before which the run is saved and resumed, or -1
 * @param loadStateFirst whether the resumed guard state is loaded before the trainer exists
 */
record ScenarioSpec(
        long seed,
        ModelShape model,
        StrategyChoice strategy,
        ScalerChoice scaler,
        int accumulation,
        NonFinitePolicy policy,
        OptimizerChoice optimizer,
        int batchSize,
        List<WindowPlan> windows,
        int checkpointWindow,
        boolean loadStateFirst) {

    /** A one-paragraph description for failure messages. */
    String describe() {
        StringBuilder sb = new StringBuilder();
        sb.append("seed=")
                .append(seed)
                .append(" model=")
                .append(model)
                .append(" strategy=")
                .append(strategy)
                .append(" scaler=")
                .append(scaler)
                .append(" accumulation=")
                .append(accumulation)
                .append(" policy=")
                .append(policy)
                .append(" optimizer=")
                .append(optimizer)
                .append(" batch=")
                .append(batchSize)
                .append(" checkpoint=")
                .append(checkpointWindow < 0 ? "none" : "before window " + checkpointWindow)
                .append(checkpointWindow < 0 ? "" : loadStateFirst ? " (state first)" : "")
                .append("\n  windows:");
        for (int w = 0; w < windows.size(); w++) {
            WindowPlan plan = windows.get(w);
            sb.append("\n    ").append(w).append(": freeze=").append(plan.layers());
            if (plan.fault() != null) {
                sb.append(" fault=").append(plan.fault());
            }
        }
        return sb.toString();
    }

    /**
     * The model: dense (tanh MLP from 4 inputs, hidden width 8, one output) or recurrent (an LSTM
     * of state 4 over 3 time steps, then a linear head).
     *
     * @param recurrent whether the model is the LSTM
     * @param hiddenLayers the number of distinct hidden layers of a dense model (1 or 2)
     * @param tied whether a dense model applies one 8-to-8 layer twice (one parameter, two names)
     */
    record ModelShape(boolean recurrent, int hiddenLayers, boolean tied) {

        /** Returns the number of freezable layers (a tied layer counts once). */
        int layerCount() {
            return recurrent ? 2 : hiddenLayers + (tied ? 1 : 0) + 1;
        }

        @Override
        public String toString() {
            if (recurrent) {
                return "LSTM(4->4, T=3)+Linear(1)";
            }
            String hidden = hiddenLayers == 1 ? "Linear(8)" : "Linear(8)-Linear(8)";
            return hidden + (tied ? "-Tied(8x8, twice)" : "") + "-Linear(1)";
        }
    }

    /** A clip strategy and its threshold. */
    record StrategyChoice(Kind kind, float threshold) {
        enum Kind {
            GLOBAL_NORM,
            VALUE,
            PER_PARAMETER_NORM,
            OBSERVE_ONLY
        }

        ClipStrategy build() {
            return switch (kind) {
                case GLOBAL_NORM -> ClipStrategy.globalNorm(threshold);
                case VALUE -> ClipStrategy.value(threshold);
                case PER_PARAMETER_NORM -> ClipStrategy.perParameterNorm(threshold);
                case OBSERVE_ONLY -> ClipStrategy.observeOnly();
            };
        }

        @Override
        public String toString() {
            return kind == Kind.OBSERVE_ONLY ? "observeOnly" : kind + "(" + threshold + ")";
        }
    }

    /**
     * A loss scaler: none, fixed at {@code 2^exponent}, or dynamic from {@code 2^exponent}.
     *
     * @param kind which scaler
     * @param exponent the (initial) scale's power of two
     * @param growthInterval clean steps before a dynamic scale doubles
     * @param hysteresis non-finite steps before a dynamic scale backs off
     * @param backoff the dynamic back-off factor
     */
    record ScalerChoice(
            Kind kind, int exponent, int growthInterval, int hysteresis, float backoff) {
        enum Kind {
            NONE,
            FIXED,
            DYNAMIC
        }

        LossScaler build() {
            float scale = (float) Math.scalb(1.0, exponent);
            return switch (kind) {
                case NONE -> LossScaler.none();
                case FIXED -> LossScaler.fixed(scale);
                case DYNAMIC ->
                        LossScaler.dynamicBuilder()
                                .optInitialScale(scale)
                                .optGrowthInterval(growthInterval)
                                .optHysteresis(hysteresis)
                                .optBackoffFactor(backoff)
                                .build();
            };
        }

        @Override
        public String toString() {
            return switch (kind) {
                case NONE -> "none";
                case FIXED -> "fixed(2^" + exponent + ")";
                case DYNAMIC ->
                        "dynamic(2^"
                                + exponent
                                + ", growthInterval="
                                + growthInterval
                                + ", hysteresis="
                                + hysteresis
                                + ", backoff="
                                + backoff
                                + ")";
            };
        }
    }

    /** Plain SGD (no momentum, fixed rate) or Adam. */
    record OptimizerChoice(boolean adam, float learningRate) {
        Optimizer build() {
            Tracker lr = Tracker.fixed(learningRate);
            return adam
                    ? Optimizer.adam().optLearningRateTracker(lr).build()
                    : Optimizer.sgd().setLearningRateTracker(lr).build();
        }

        @Override
        public String toString() {
            return (adam ? "adam" : "sgd") + "(lr=" + learningRate + ")";
        }
    }

    /** How a layer is frozen during a window. */
    enum LayerState {
        /** Every parameter trains. */
        TRAINABLE,
        /** Every parameter is frozen, through {@code Block.freezeParameters(true)}. */
        FROZEN,
        /**
         * Only the layer's last parameter (a linear layer's bias) is frozen, through {@code
         * Parameter.freeze(true)}. Not the weight: on MXNet (oneDNN) a linear layer whose weight is
         * frozen leaves its bias gradient unwritten (zero or stale memory).
         */
        LAST_FROZEN
    }

    /**
     * One optimizer step's plan.
     *
     * @param layers each layer's freeze state during the window
     * @param fault the fault planted in the window, or null
     */
    record WindowPlan(List<LayerState> layers, PlannedFault fault) {}

    /**
     * A fault planted at one micro-batch of a window.
     *
     * @param micro the micro-batch within the window
     * @param target the loss (multiplied by the value) or one gradient element (set to it)
     * @param value NaN, an infinity, or a 1e30 spike
     * @param parameter which trainable parameter, modulo their count, for gradient faults
     * @param element which element, modulo the parameter's size, for gradient faults
     */
    record PlannedFault(int micro, Target target, float value, int parameter, long element) {
        enum Target {
            LOSS,
            GRADIENT
        }

        @Override
        public String toString() {
            String where =
                    target == Target.LOSS
                            ? "loss*" + value
                            : "grad[p" + parameter + ",e" + element + "]=" + value;
            return where + "@micro" + micro;
        }
    }
}
