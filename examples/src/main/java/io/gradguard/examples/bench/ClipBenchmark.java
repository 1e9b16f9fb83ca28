package io.gradguard.examples.bench;

import ai.djl.engine.Engine;
import ai.djl.pytorch.jni.JniUtils;
import io.gradguard.spi.GradientOps;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Times global-norm gradient clipping on DJL's CPU engines and prints one Markdown table.
 *
 * <p>For each engine and gradient set, four variants clip the same values to half their norm: naive
 * (one {@code norm().getFloat()} per tensor, then {@code muli}), the generic {@link GradientOps},
 * the engine's fused {@link GradientOps} (both through {@code ClipStrategy.globalNorm}), and the
 * floor: the same norm and in-place scale on one contiguous tensor of the same size, the
 * memory-bandwidth bound. Then full training steps of the churn LSTM, without and with the guard.
 * See {@link ClipTimer} and {@link StepTimer} for what one trial covers.
 *
 * <p>Then, on the PyTorch engine, the side-by-side table ({@link SideBySide}): GradGuard and
 * PyTorch itself ({@code tools/bench/torch_reference.py}, run by {@code --python} as a child
 * process after each GradGuard round) on the same sets in the same run, with the ratios, targets
 * and verdicts. Without a Python that imports torch, one line says the PyTorch column was skipped
 * and why, and GradGuard's columns are still measured.
 *
 * <pre>
 * mvn -B -q -pl examples -am verify -Pbench -DskipTests -Dbench.args="--engine pytorch"
 * </pre>
 */
@Command(
        name = "clip-benchmark",
        mixinStandardHelpOptions = true,
        description = "Times gradient clipping variants and the guard's share of a training step.")
public final class ClipBenchmark implements Callable<Integer> {

    /** The default gradient sets. */
    static final String DEFAULT_SETS = "20x50000,100x10000,1000x1000,lstm";

    /** The default sets of the side-by-side table. */
    static final String SIDE_BY_SIDE_SETS = "20x50000,1000x1000,lstm,transformer";

    /** Untimed calls of every variant per engine before anything is timed. */
    static final int ENGINE_WARMUP = 300;

    @Option(
            names = "--engine",
            defaultValue = "both",
            description = "pytorch, mxnet or both (default: ${DEFAULT-VALUE})")
    private String engine;

    @Option(
            names = "--sets",
            defaultValue = DEFAULT_SETS,
            split = ",",
            description =
                    "gradient sets, COUNTxSIZE, lstm or transformer (default:"
                            + " ${DEFAULT-VALUE})")
    private List<String> sets;

    @Option(
            names = "--trials",
            defaultValue = "41",
            description = "timed trials per clip variant (default: ${DEFAULT-VALUE})")
    private int trials;

    @Option(
            names = "--warmup",
            defaultValue = "10",
            description = "untimed trials first (default: ${DEFAULT-VALUE})")
    private int warmup;

    @Option(
            names = "--step-trials",
            defaultValue = "60",
            description =
                    "timed training steps of each kind; 0 skips them (default: ${DEFAULT-VALUE})")
    private int stepTrials;

    @Option(
            names = "--batch",
            defaultValue = "32",
            description = "sequences per training batch (default: ${DEFAULT-VALUE})")
    private int batch;

    @Option(
            names = "--time",
            defaultValue = "50",
            description = "events per sequence (default: ${DEFAULT-VALUE})")
    private int time;

    @Option(
            names = "--torch-sets",
            defaultValue = SIDE_BY_SIDE_SETS,
            split = ",",
            description =
                    "sets timed side by side with PyTorch on the PyTorch engine, or none"
                            + " (default: ${DEFAULT-VALUE})")
    private List<String> torchSets;

    @Option(
            names = "--python",
            defaultValue = "/usr/bin/python3",
            description = "a Python with torch for the PyTorch column (default: ${DEFAULT-VALUE})")
    private Path python;

    @Option(
            names = "--rounds",
            defaultValue = "3",
            description =
                    "rounds per set of the side-by-side table, alternating GradGuard and PyTorch"
                            + " (default: ${DEFAULT-VALUE})")
    private int rounds;

    @Option(
            names = "--threads",
            description = "PyTorch intra-op threads (default: libtorch's own choice)")
    private Integer threads;

    /**
     * Runs the benchmark.
     *
     * @param args the options; {@code --help} lists them
     */
    public static void main(String[] args) {
        System.exit(runOffline(new ClipBenchmark(), args));
    }

    /**
     * Runs a benchmark command with DJL offline and its tracking off, unless the caller set them,
     * and returns its exit code.
     *
     * @param command the picocli command
     * @param args its options
     * @return the exit code
     */
    static int runOffline(Object command, String[] args) {
        if (System.getProperty("ai.djl.offline") == null) {
            System.setProperty("ai.djl.offline", "true");
        }
        if (System.getProperty("OPT_OUT_TRACKING") == null) {
            System.setProperty("OPT_OUT_TRACKING", "true");
        }
        return new CommandLine(command).execute(args);
    }

    @Override
    public Integer call() {
        checkOptions();
        List<String> engines = engines(engine);
        PrintStream out = System.out;
        String loadBefore = MachineInfo.loadAverage();
        long start = System.nanoTime();
        ResultTable table = new ResultTable("measurement (ms: median [IQR]; ratios of medians)");
        List<String> notes = new ArrayList<>();
        StepTimer.Result lstmSteps = null;
        String omp = System.getenv("OMP_NUM_THREADS");
        notes.add("OMP_NUM_THREADS=" + (omp == null ? "unset" : omp));
        for (String engineName : engines) {
            Engine.getEngine(engineName);
            if ("PyTorch".equals(engineName)) {
                if (threads != null) {
                    JniUtils.setNumThreads(threads);
                }
                notes.add("PyTorch intra-op threads: " + JniUtils.getNumThreads());
            }
            // The TorchScript methods are profiled and optimized over their first calls, and the
            // JVM compiles the Java side: warm every variant up once per engine, untimed.
            new ClipComparison(engineName, GradientSet.uniform(11, 5500), ENGINE_WARMUP, 1)
                    .run(new ResultTable("warm-up"));
            for (String spec : sets) {
                GradientSet set = resolve(spec, engineName);
                new ClipComparison(engineName, set, warmup, trials).run(table);
            }
            if (stepTrials > 0) {
                StepTimer.Result r =
                        StepTimer.measure(engineName, batch, time, warmup + 5, stepTrials);
                StepRows.add(table, engineName, r, batch, time);
                if (SideBySide.ENGINE.equals(engineName)) {
                    lstmSteps = r;
                }
            }
        }
        List<String> sideBySide = sideBySide(engines, lstmSteps);
        double seconds = (System.nanoTime() - start) / 1e9;
        out.println();
        out.println("## Gradient clipping on DJL " + ai.djl.engine.Engine.getDjlVersion());
        out.println();
        out.println(
                "date "
                        + ZonedDateTime.now().format(DateTimeFormatter.ISO_OFFSET_DATE_TIME)
                        + ", "
                        + Runtime.getRuntime().availableProcessors()
                        + " CPUs ("
                        + MachineInfo.cpuModel()
                        + "), load average "
                        + loadBefore
                        + " before and "
                        + MachineInfo.loadAverage()
                        + " after, "
                        + String.format(Locale.ROOT, "%.0f s", seconds)
                        + ", Java "
                        + Runtime.version());
        out.println(
                "trials: "
                        + trials
                        + " per clip (after "
                        + warmup
                        + " warm-up), "
                        + stepTrials
                        + " training steps of each kind (batch "
                        + batch
                        + " x "
                        + time
                        + " events)"
                        + (notes.isEmpty() ? "" : "; " + String.join("; ", notes)));
        out.println();
        out.print(table.render());
        out.println();
        for (String line : Targets.check(table, batch, time)) {
            out.println(line);
        }
        out.println();
        for (String line : sideBySide) {
            out.println(line);
        }
        return 0;
    }

    /**
     * Times the side-by-side sets against PyTorch, interleaved, and returns the lines to print: the
     * section title, what ran, the table and the target lines, or one line saying why there is no
     * table or no PyTorch column.
     */
    private List<String> sideBySide(List<String> engines, StepTimer.Result lstmSteps) {
        List<String> lines = new ArrayList<>();
        if (!engines.contains(SideBySide.ENGINE) || isNone(torchSets)) {
            lines.add(
                    "Side-by-side table with PyTorch skipped: --engine has no pytorch or"
                            + " --torch-sets is none");
            return lines;
        }
        TorchReference.Probe probe = TorchReference.probe(python, threads == null ? 1 : threads);
        SideBySide comparison =
                new SideBySide(
                        probe.reference(),
                        warmup,
                        trials,
                        rounds,
                        stepTrials,
                        lstmSteps,
                        "LSTM step " + batch + "x" + time);
        SideBySideTable table = new SideBySideTable();
        for (String spec : torchSets) {
            String key = spec.trim().toLowerCase(Locale.ROOT);
            comparison.measure(key, resolve(key, SideBySide.ENGINE), table);
        }
        lines.add("## Side by side with PyTorch (ms: median [IQR]; ratio of medians)");
        lines.add("");
        if (probe.reference() == null) {
            lines.add(probe.skipLine());
        } else {
            lines.add(
                    String.format(
                            Locale.ROOT,
                            "GradGuard on DJL's libtorch %s; PyTorch %s from %s, run as a child"
                                    + " process after each of %d rounds per set (%d clip trials and"
                                    + " %d guarded steps per side)",
                            Engine.getEngine(SideBySide.ENGINE).getVersion(),
                            probe.reference().version(),
                            python,
                            rounds,
                            trials,
                            stepTrials));
        }
        lines.add(
                "'guarded step' rows: the guard's onTrainingBatch in steps of a block of the set's"
                        + " shapes, interleaved with PyTorch; 'guard in a real' rows: the same"
                        + " guard in the training steps above, earlier in this run");
        lines.add("");
        lines.add(table.render());
        lines.addAll(table.verdicts());
        return lines;
    }

    /**
     * Returns whether a list option says {@code none}.
     *
     * @param values the option's values
     * @return true for a single {@code none} or blank value
     */
    static boolean isNone(List<String> values) {
        return values.size() == 1
                && (values.get(0).isBlank() || "none".equalsIgnoreCase(values.get(0).trim()));
    }

    private void checkOptions() {
        if (trials < 1) {
            throw new CommandLine.ParameterException(
                    new CommandLine(this), "--trials must be >= 1, got " + trials);
        }
        if (warmup < 0 || stepTrials < 0 || batch < 1 || time < 1) {
            throw new CommandLine.ParameterException(
                    new CommandLine(this),
                    "--warmup and --step-trials must be >= 0, --batch and --time >= 1");
        }
        if (rounds < 1) {
            throw new CommandLine.ParameterException(
                    new CommandLine(this), "--rounds must be >= 1, got " + rounds);
        }
        if (threads != null && threads < 1) {
            throw new CommandLine.ParameterException(
                    new CommandLine(this), "--threads must be >= 1, got " + threads);
        }
    }

    /**
     * Returns DJL engine names for the {@code --engine} option.
     *
     * @param option {@code pytorch}, {@code mxnet} or {@code both}, any case
     * @return the engine names
     * @throws IllegalArgumentException for another value
     */
    static List<String> engines(String option) {
        switch (option.toLowerCase(Locale.ROOT)) {
            case "pytorch":
                return List.of("PyTorch");
            case "mxnet":
                return List.of("MXNet");
            case "both":
                return List.of("PyTorch", "MXNet");
            default:
                throw new IllegalArgumentException(
                        "--engine must be pytorch, mxnet or both, got " + option);
        }
    }

    private GradientSet resolve(String spec, String engineName) {
        if ("lstm".equalsIgnoreCase(spec.trim())) {
            return BenchLstm.parameterSet(engineName, batch, time);
        }
        if ("transformer".equalsIgnoreCase(spec.trim())) {
            return GradientSet.transformer();
        }
        return GradientSet.parseUniform(spec);
    }
}
