package io.gradguard.it.scenario;

import io.gradguard.NonFinitePolicy;
import io.gradguard.it.scenario.ScenarioSpec.LayerState;
import io.gradguard.it.scenario.ScenarioSpec.ModelShape;
import io.gradguard.it.scenario.ScenarioSpec.OptimizerChoice;
import io.gradguard.it.scenario.ScenarioSpec.PlannedFault;
import io.gradguard.it.scenario.ScenarioSpec.ScalerChoice;
import io.gradguard.it.scenario.ScenarioSpec.StrategyChoice;
import io.gradguard.it.scenario.ScenarioSpec.WindowPlan;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Draws a {@link ScenarioSpec} from one seed. The same seed always gives the same scenario; the
 * draws cover each option's extremes (thresholds over six orders of magnitude, loss scales from
 * 2^-10 to 2^24, growth intervals of 1 to 3, faults of every kind on either target).
 */
final class ScenarioGenerator {

    static final int MIN_WINDOWS = 6;
    static final int MAX_WINDOWS = 12;
    static final float[] FAULT_VALUES = {
        Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, 1e30f
    };

    private ScenarioGenerator() {}

    /** Returns the seeds of a run: the first {@code count} values of a fixed sequence. */
    static long[] seeds(int count) {
        SplittableRandom random = new SplittableRandom(0x5CE7A210L);
        long[] seeds = new long[count];
        for (int i = 0; i < count; i++) {
            seeds[i] = random.nextLong() >>> 16;
        }
        return seeds;
    }

    static ScenarioSpec draw(long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        boolean recurrent = r.nextInt(5) == 0;
        ModelShape model =
                recurrent
                        ? new ModelShape(true, 1, false)
                        : new ModelShape(false, 1 + r.nextInt(2), r.nextInt(3) == 0);
        StrategyChoice strategy = strategy(r);
        ScalerChoice scaler = scaler(r);
        int accumulation = 1 + r.nextInt(3);
        NonFinitePolicy policy = policy(r);
        if (policy == NonFinitePolicy.PROPAGATE
                && scaler.kind() != ScenarioSpec.ScalerChoice.Kind.NONE) {
            policy = NonFinitePolicy.SKIP_STEP; // a scaler refuses PROPAGATE at build()
        }
        boolean adam = r.nextInt(5) == 0;
        float[] rates = {0.01f, 0.05f, 0.1f};
        OptimizerChoice optimizer =
                new OptimizerChoice(adam, adam ? 0.01f : rates[r.nextInt(rates.length)]);
        int batchSize = 4 + r.nextInt(5);
        int count = MIN_WINDOWS + r.nextInt(MAX_WINDOWS - MIN_WINDOWS + 1);
        List<WindowPlan> windows = new ArrayList<>(count);
        List<LayerState> layers = initialLayers(r, model.layerCount());
        for (int w = 0; w < count; w++) {
            if (w > 0 && r.nextInt(4) == 0) {
                layers = changeLayers(r, layers);
            }
            PlannedFault fault = r.nextInt(4) == 0 ? fault(r, accumulation) : null;
            windows.add(new WindowPlan(layers, fault));
        }
        // The guard saves Adam's moments and update counts with its own state: resume is exact
        // with either optimizer.
        int checkpoint = r.nextInt(5) < 2 ? 1 + r.nextInt(count - 1) : -1;
        return new ScenarioSpec(
                seed,
                model,
                strategy,
                scaler,
                accumulation,
                policy,
                optimizer,
                batchSize,
                List.copyOf(windows),
                checkpoint,
                r.nextBoolean());
    }

    private static StrategyChoice strategy(SplittableRandom r) {
        int pick = r.nextInt(20);
        // Gradient norms of these models are about 0.1 to 100: thresholds from 1e-3 to 1e3
        // clip in some steps and not in others.
        float threshold = (float) Math.pow(10, r.nextDouble(-3, 3));
        if (pick < 9) {
            return new StrategyChoice(StrategyChoice.Kind.GLOBAL_NORM, threshold);
        } else if (pick < 13) {
            return new StrategyChoice(StrategyChoice.Kind.VALUE, threshold);
        } else if (pick < 17) {
            return new StrategyChoice(StrategyChoice.Kind.PER_PARAMETER_NORM, threshold);
        }
        return new StrategyChoice(StrategyChoice.Kind.OBSERVE_ONLY, 0f);
    }

    private static ScalerChoice scaler(SplittableRandom r) {
        int pick = r.nextInt(20);
        int exponent = r.nextInt(-10, 25);
        if (pick < 7) {
            return new ScalerChoice(ScalerChoice.Kind.NONE, 0, 0, 0, 0f);
        } else if (pick < 12) {
            return new ScalerChoice(ScalerChoice.Kind.FIXED, exponent, 0, 0, 0f);
        }
        return new ScalerChoice(
                ScalerChoice.Kind.DYNAMIC,
                exponent,
                1 + r.nextInt(3),
                1 + r.nextInt(3),
                r.nextBoolean() ? 0.5f : 0.25f);
    }

    private static NonFinitePolicy policy(SplittableRandom r) {
        int pick = r.nextInt(10);
        return pick < 6
                ? NonFinitePolicy.SKIP_STEP
                : pick < 8 ? NonFinitePolicy.PROPAGATE : NonFinitePolicy.ERROR;
    }

    private static List<LayerState> initialLayers(SplittableRandom r, int count) {
        List<LayerState> layers = new ArrayList<>(count);
        boolean someFrozen = r.nextInt(3) == 0;
        for (int i = 0; i < count; i++) {
            layers.add(someFrozen ? randomState(r) : LayerState.TRAINABLE);
        }
        return keepOneTrainable(r, layers);
    }

    private static List<LayerState> changeLayers(SplittableRandom r, List<LayerState> current) {
        List<LayerState> next = new ArrayList<>(current);
        int changes = 1 + r.nextInt(next.size());
        for (int c = 0; c < changes; c++) {
            next.set(r.nextInt(next.size()), randomState(r));
        }
        return keepOneTrainable(r, next);
    }

    private static LayerState randomState(SplittableRandom r) {
        return LayerState.values()[r.nextInt(LayerState.values().length)];
    }

    /**
     * Keeps one layer fully trainable: a model with no trainable parameter is refused by the guard,
     * and one that trains only biases may have all-zero gradients at a trainer's first step, which
     * DJL refuses.
     */
    private static List<LayerState> keepOneTrainable(SplittableRandom r, List<LayerState> layers) {
        if (layers.stream().noneMatch(s -> s == LayerState.TRAINABLE)) {
            layers.set(r.nextInt(layers.size()), LayerState.TRAINABLE);
        }
        return List.copyOf(layers);
    }

    private static PlannedFault fault(SplittableRandom r, int accumulation) {
        PlannedFault.Target target =
                r.nextBoolean() ? PlannedFault.Target.LOSS : PlannedFault.Target.GRADIENT;
        return new PlannedFault(
                r.nextInt(accumulation),
                target,
                FAULT_VALUES[r.nextInt(FAULT_VALUES.length)],
                r.nextInt(1 << 16),
                r.nextLong(1L << 40));
    }
}
