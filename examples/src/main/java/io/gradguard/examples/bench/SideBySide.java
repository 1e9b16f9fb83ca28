package io.gradguard.examples.bench;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import io.gradguard.spi.GradientOps;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Measures GradGuard on DJL's PyTorch engine and PyTorch itself (through {@link TorchReference}) on
 * the same gradient sets in the same run, interleaved: the timed trials of each set are split into
 * rounds, and after each GradGuard round the PyTorch script runs its round of the same work.
 *
 * <p>Per set, the clip: GradGuard's fused one call ({@code GradientOps.clipByGlobalNorm}, what
 * {@code GradientClipping.clipGradNorm} runs), {@code ClipStrategy.globalNorm} on the fused ops,
 * and DJL's single-tensor floor, against torch's {@code _foreach_*} from Python, {@code
 * clip_grad_norm_} and torch's floor. For the LSTM and transformer sets also the whole guard
 * ({@link GuardTimer}) against PyTorch's eager code for the same work.
 */
final class SideBySide {

    static final String ENGINE = "PyTorch";
    static final String ONE_CALL = "fused, one call";
    static final String STRATEGY = "fused, ClipStrategy";
    static final String FLOOR = "DJL single-tensor floor";
    static final String TORCH_FOREACH = "torch _foreach_* from Python";
    static final String TORCH_CLIP = "torch clip_grad_norm_";
    static final String TORCH_FLOOR = "torch single-tensor floor";
    static final String CLIP_GUARD = "whole clip guard";
    static final String SCALED_GUARD = "whole guard + loss scaler";
    static final String TORCH_EAGER_CLIP = "torch eager clip_grad_norm_ + read";
    static final String TORCH_EAGER_SCALED =
            "torch eager unscale, 2-norm check, clip, read, update";
    static final String TORCH_EAGER_SCALED_MAX =
            "torch eager unscale, max-norm check, clip, read, update";

    /** The targets: GradGuard / reference at most these. */
    static final double FOREACH_TARGET = 1.0;

    static final double FLOOR_TARGET = 1.3;
    static final double EAGER_TARGET = 0.75;

    private final TorchReference torch;
    private final int warmup;
    private final int trials;
    private final int rounds;
    private final int stepTrials;
    private final StepTimer.Result lstmSteps;
    private final String lstmStepLabel;

    /**
     * Prepares the comparison.
     *
     * @param torch the PyTorch side, or null when it is skipped
     * @param warmup untimed trials per variant (and per child process)
     * @param trials timed clip trials per variant, on each side
     * @param rounds the parts each side's trials are split into, at most {@code trials}
     * @param stepTrials timed guarded steps per guard, on each side; 0 skips the guard rows
     * @param lstmSteps the guard's time inside real training steps of the LSTM, measured earlier in
     *     the same run, compared with the same PyTorch rows; null for none
     * @param lstmStepLabel how the table names those steps, such as {@code "LSTM step 32x50"}
     */
    SideBySide(
            TorchReference torch,
            int warmup,
            int trials,
            int rounds,
            int stepTrials,
            StepTimer.Result lstmSteps,
            String lstmStepLabel) {
        this.torch = torch;
        this.lstmSteps = lstmSteps;
        this.lstmStepLabel = lstmStepLabel;
        this.warmup = warmup;
        this.trials = trials;
        this.rounds = Math.min(rounds, trials);
        this.stepTrials = stepTrials;
    }

    /**
     * Measures one set and adds its rows.
     *
     * @param spec the set as the script names it: {@code lstm}, {@code transformer} or {@code
     *     COUNTxSIZE}
     * @param set the same set's shapes on the Java side
     * @param table the table to fill
     */
    void measure(String spec, GradientSet set, SideBySideTable table) {
        String work = "clip " + set.label();
        Map<String, List<double[]>> torchClip = new LinkedHashMap<>();
        GradientOps fusedOps = GradientOps.forEngine(Engine.getEngine(ENGINE));
        Map<String, Timing> t;
        try (ClipTimer timer = new ClipTimer(ENGINE, set, 7)) {
            float maxNorm = timer.maxNorm();
            List<NDArray> constants = timer.floorConstants();
            List<ClipTimer.Variant> variants =
                    List.of(
                            new ClipTimer.Variant(
                                    ONE_CALL, ClipVariants.oneCall(fusedOps, maxNorm), false),
                            new ClipTimer.Variant(
                                    STRATEGY, ClipVariants.strategy(fusedOps, maxNorm), false),
                            new ClipTimer.Variant(FLOOR, ClipVariants.floor(constants), true));
            t =
                    timer.timeInterleaved(
                            variants,
                            warmup,
                            trials,
                            rounds,
                            torchRound(spec, set, "clip", torchClip));
        }
        Timing foreach = torchTiming(torchClip, "foreach");
        table.add(work, ONE_CALL, t.get(ONE_CALL), TORCH_FOREACH, foreach, FOREACH_TARGET);
        table.add(work, STRATEGY, t.get(STRATEGY), TORCH_FOREACH, foreach, null);
        Timing clipGradNorm = torchTiming(torchClip, "clip_grad_norm_");
        table.add(work, ONE_CALL, t.get(ONE_CALL), TORCH_CLIP, clipGradNorm, null);
        boolean floorTarget = set.equals(GradientSet.uniform(20, 50000));
        table.add(
                work,
                ONE_CALL,
                t.get(ONE_CALL),
                FLOOR,
                t.get(FLOOR),
                floorTarget ? FLOOR_TARGET : null);
        table.add(work, FLOOR, t.get(FLOOR), TORCH_FLOOR, torchTiming(torchClip, "floor"), null);
        if (stepTrials > 0 && ("lstm".equals(spec) || "transformer".equals(spec))) {
            Map<String, List<double[]>> torchGuard = new LinkedHashMap<>();
            GuardTimer.Result g =
                    GuardTimer.measure(
                            ENGINE,
                            set,
                            warmup,
                            stepTrials,
                            Math.min(rounds, stepTrials),
                            torchRound(spec, set, "guard", torchGuard));
            String guardWork = "guarded step " + set.label();
            table.add(
                    guardWork,
                    CLIP_GUARD,
                    g.clip(),
                    TORCH_EAGER_CLIP,
                    torchTiming(torchGuard, "clip"),
                    EAGER_TARGET);
            table.add(
                    guardWork,
                    SCALED_GUARD,
                    g.scaled(),
                    TORCH_EAGER_SCALED,
                    torchTiming(torchGuard, "scaled_lean"),
                    EAGER_TARGET);
            table.add(
                    guardWork,
                    SCALED_GUARD,
                    g.scaled(),
                    TORCH_EAGER_SCALED_MAX,
                    torchTiming(torchGuard, "scaled"),
                    null);
            if ("lstm".equals(spec) && lstmSteps != null) {
                String real = "guard in a real " + lstmStepLabel;
                table.add(
                        real,
                        CLIP_GUARD,
                        lstmSteps.clipGuard(),
                        TORCH_EAGER_CLIP,
                        torchTiming(torchGuard, "clip"),
                        EAGER_TARGET);
                table.add(
                        real,
                        SCALED_GUARD,
                        lstmSteps.scaledGuard(),
                        TORCH_EAGER_SCALED,
                        torchTiming(torchGuard, "scaled_lean"),
                        EAGER_TARGET);
            }
        }
    }

    /** One PyTorch round of a set's work, its samples appended to {@code into}; none if skipped. */
    private Runnable torchRound(
            String spec, GradientSet set, String work, Map<String, List<double[]>> into) {
        if (torch == null) {
            return () -> {};
        }
        int perRound = (trials + rounds - 1) / rounds;
        int perRoundSteps = (stepTrials + rounds - 1) / Math.max(1, rounds);
        int n = "guard".equals(work) ? Math.max(1, perRoundSteps) : perRound;
        return () -> {
            TorchReference.Output out = torch.run(spec, work, warmup, n);
            String expected = set.count() + " " + set.totalSize();
            if (!expected.equals(out.set())) {
                throw new IllegalStateException(
                        "the PyTorch reference's "
                                + spec
                                + " set has "
                                + out.set()
                                + " (tensors, floats), GradGuard's "
                                + expected);
            }
            out.samples().forEach((k, v) -> into.computeIfAbsent(k, x -> new ArrayList<>()).add(v));
        };
    }

    /**
     * Returns the timing of all rounds' samples of a variant, or null when there are none.
     *
     * @param samples the samples of each round by variant
     * @param variant the variant
     * @return the summary, or null
     */
    static Timing torchTiming(Map<String, List<double[]>> samples, String variant) {
        List<double[]> parts = samples.get(variant);
        if (parts == null || parts.isEmpty()) {
            return null;
        }
        int n = parts.stream().mapToInt(p -> p.length).sum();
        double[] all = new double[n];
        int offset = 0;
        for (double[] p : parts) {
            System.arraycopy(p, 0, all, offset, p.length);
            offset += p.length;
        }
        return Timing.ofNanos(TorchReference.nanos(all));
    }
}
