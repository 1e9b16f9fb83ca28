package io.gradguard.examples;

import io.gradguard.clip.ClipStrategy;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * The GradGuard demo: an LSTM churn model whose training explodes without gradient clipping and
 * trains cleanly with it, on DJL's PyTorch and MXNet engines. Run {@code --help} for the story and
 * the options; exit code 0 when the story holds, 1 when it does not, 2 for bad options.
 */
@Command(
        name = "churn-demo",
        mixinStandardHelpOptions = true,
        version = "GradGuard churn demo 0.1.0",
        sortOptions = false,
        usageHelpWidth = 100,
        description = {
            "A subscription business predicts 30-day churn with an LSTM over per-day event"
                    + " sequences. A few long-tail power users log hundreds to thousands of events a"
                    + " day, and the padding mask, built by adding 1 per event into the day's slot,"
                    + " carries those counts instead of 0/1. Their batches give gradient spikes"
                    + " hundreds of times the usual norm.",
            "",
            "The demo trains the model twice per engine with the same data, seed and epochs:"
                    + " unguarded (norms only measured, ClipStrategy.observeOnly()), where the loss"
                    + " turns NaN, then guarded by a ClippingTrainingListener (global-norm clipping"
                    + " at --max-norm). It prints a side-by-side summary and writes it to"
                    + " <out>/summary.md.",
            "",
            "Optimizer: SGD with momentum by default. Its step is lr times the gradient, so an"
                    + " unclipped spike throws the weights far; the logit is bilinear in the output"
                    + " weights and the embeddings (residual path, no saturating gate), so the next"
                    + " spike is larger, until the logits overflow float32 and the loss is NaN."
                    + " With --optimizer adamw the unguarded run stays finite: AdamW bounds every"
                    + " coordinate's step (about 3 lr for one spike) whatever the gradient, so"
                    + " finite spikes cannot make it overflow; the demo then exits 1 and says so.",
            ""
        },
        footer = {
            "",
            "Exit codes: 0 story holds (unguarded diverged, guarded finished finite), 1 it does not,"
                    + " 2 bad options.",
            "Full size: --layers 2 --hidden 256 --batch-size 64 --seq-len 180 (about 8 minutes per"
                    + " PyTorch run on 2 cores)."
        })
public final class ChurnDemo implements Callable<Integer> {

    @Spec private CommandSpec spec;

    @Option(
            names = "--engine",
            defaultValue = "both",
            description = "pytorch, mxnet or both (default: ${DEFAULT-VALUE})")
    private EngineChoice engine;

    @Option(
            names = "--epochs",
            defaultValue = "8",
            description = "epochs per run (default: ${DEFAULT-VALUE})")
    private int epochs;

    @Option(
            names = "--max-norm",
            defaultValue = "1.0",
            description = "clip threshold of the guarded run (default: ${DEFAULT-VALUE})")
    private float maxNorm;

    @Option(
            names = "--strategy",
            defaultValue = "global-norm",
            converter = StrategyConverter.class,
            description =
                    "guarded run's clip strategy: global-norm, value, per-parameter or observe"
                            + " (default: ${DEFAULT-VALUE})")
    private StrategyChoice strategy;

    @Option(
            names = "--optimizer",
            defaultValue = "sgd",
            converter = OptimizerConverter.class,
            description = "sgd (momentum 0.9) or adamw (default: ${DEFAULT-VALUE})")
    private OptimizerChoice optimizer;

    @Option(
            names = "--learning-rate",
            description = "learning rate (default: 0.2 for sgd, 0.02 for adamw)")
    private Float learningRate;

    @Option(
            names = "--amp",
            description =
                    "PyTorch only: float16 model, LossScaler.dynamic() and float32 master weights"
                            + " in both runs (the scaler skips overflowing steps, so the unguarded"
                            + " weights stay finite but useless); MXNet cannot create float16"
                            + " arrays through DJL and runs in float32")
    private boolean amp;

    @Option(
            names = "--accumulate",
            defaultValue = "1",
            description =
                    "micro-batches averaged into one optimizer step, in both runs (default:"
                            + " ${DEFAULT-VALUE}); averaging dilutes the spikes and halves the"
                            + " steps, so the unguarded run may need more --epochs to blow up")
    private int accumulate;

    @Option(
            names = "--seed",
            defaultValue = "7",
            description = "seed of data, initialisation and shuffling (default: ${DEFAULT-VALUE})")
    private int seed;

    @Option(
            names = "--out",
            defaultValue = "demo-out",
            description = "output directory (default: ${DEFAULT-VALUE})")
    private Path out;

    @Option(
            names = "--users",
            defaultValue = "4000",
            description = "number of users (default: ${DEFAULT-VALUE})")
    private int users;

    @Option(
            names = "--seq-len",
            defaultValue = "90",
            description = "days per sequence (default: ${DEFAULT-VALUE}; full size 180)")
    private int seqLen;

    @Option(
            names = "--hidden",
            defaultValue = "32",
            description = "embedding and LSTM state size (default: ${DEFAULT-VALUE}; full 256)")
    private int hidden;

    @Option(
            names = "--layers",
            defaultValue = "1",
            description = "stacked LSTM layers (default: ${DEFAULT-VALUE}; full 2)")
    private int layers;

    @Option(
            names = "--batch-size",
            defaultValue = "32",
            description = "batch size (default: ${DEFAULT-VALUE}; full 64)")
    private int batchSize;

    @Option(
            names = "--long-tail-share",
            defaultValue = "0.01",
            description = "share of power users (default: ${DEFAULT-VALUE})")
    private double longTailShare;

    private StepReportSink reportSink;

    /**
     * Runs the demo from the command line and exits with its code.
     *
     * @param args the command-line arguments; see {@code --help}
     */
    public static void main(String[] args) {
        setIfAbsent("ai.djl.offline", "true");
        setIfAbsent("OPT_OUT_TRACKING", "true");
        setIfAbsent("org.slf4j.simpleLogger.defaultLogLevel", "info");
        setIfAbsent("org.slf4j.simpleLogger.log.ai.djl.util.cuda.CudaUtils", "error");
        System.exit(commandLine().execute(args));
    }

    /**
     * Returns the demo's command line, ready to {@code execute}; tests call this instead of {@link
     * #main}, which exits the JVM.
     *
     * @return a new command line
     */
    public static CommandLine commandLine() {
        return commandLine(null);
    }

    /**
     * Returns the demo's command line with a sink for each run's step reports.
     *
     * @param sink where each run's step reports go after the run; null for the JSON-lines and PNG
     *     files in {@code --out}
     * @return a new command line
     */
    static CommandLine commandLine(StepReportSink sink) {
        ChurnDemo demo = new ChurnDemo();
        demo.reportSink = sink;
        return new CommandLine(demo).setCaseInsensitiveEnumValuesAllowed(true);
    }

    private static void setIfAbsent(String key, String value) {
        if (System.getProperty(key) == null) {
            System.setProperty(key, value);
        }
    }

    /**
     * Runs the demo with the parsed options.
     *
     * @return 0 if the story holds, 1 if not
     * @throws Exception if training or writing the summary fails
     */
    @Override
    public Integer call() throws Exception {
        validate();
        PrintWriter console = spec.commandLine().getOut();
        ChurnData data =
                ChurnDataGenerator.generate(ChurnDataSpec.of(users, seqLen, longTailShare, seed));
        List<RunResult> results = new ArrayList<>();
        List<String> problems = new ArrayList<>();
        RunSettings guardedTemplate = null;
        Files.createDirectories(out);
        StepReportSink sink = reportSink != null ? reportSink : new ReportFilesSink(maxNorm);
        for (String engineName : engine.engineNames()) {
            RunSettings unguarded = settings(engineName);
            RunSettings guarded = unguarded.with("guarded", strategy.create(maxNorm), false);
            if (guardedTemplate == null) {
                DemoConsole.describe(console, data, unguarded, amp);
                guardedTemplate = guarded;
            }
            DemoConsole.runHeader(console, unguarded);
            RunResult before = TrainingRun.run(unguarded, data);
            DemoConsole.divergence(console, before);
            DemoConsole.runHeader(console, guarded);
            RunResult after = TrainingRun.run(guarded, data);
            results.add(before);
            results.add(after);
            sink.accept(DemoConsole.runName(before), before.reports(), out);
            sink.accept(DemoConsole.runName(after), after.reports(), out);
            problems.addAll(StoryCheck.problems(before, after));
        }
        SummaryTable table = new SummaryTable(results);
        console.printf("%n%s", table.toText());
        Path summary = out.resolve("summary.md");
        Files.writeString(
                summary,
                DemoConsole.markdown(table, data, guardedTemplate),
                StandardCharsets.UTF_8);
        console.printf(
                "%nWrote %s, and per run <run>-steps.jsonl, <run>-norms.png and"
                        + " <run>-norms-histogram.png in %s%n",
                summary, out);
        if (problems.isEmpty()) {
            DemoConsole.storyHolds(console, results);
            return 0;
        }
        console.flush();
        PrintWriter err = spec.commandLine().getErr();
        problems.forEach(err::println);
        err.flush();
        return 1;
    }

    private void validate() {
        requirePositive("--epochs", epochs);
        requirePositive("--accumulate", accumulate);
        requirePositive("--hidden", hidden);
        requirePositive("--layers", layers);
        requirePositive("--batch-size", batchSize);
        if (users < 10) {
            throw usage("--users must be >= 10, got " + users);
        }
        if (seqLen < 6) {
            throw usage("--seq-len must be >= 6, got " + seqLen);
        }
        if (!(maxNorm > 0 && Float.isFinite(maxNorm))) {
            throw usage("--max-norm must be a finite number > 0, got " + maxNorm);
        }
        if (learningRate != null && !(learningRate > 0 && Float.isFinite(learningRate))) {
            throw usage("--learning-rate must be a finite number > 0, got " + learningRate);
        }
        if (!(longTailShare >= 0 && longTailShare < 1)) {
            throw usage("--long-tail-share must be in [0, 1), got " + longTailShare);
        }
        int validation = (int) Math.round(users * ChurnDataSpec.DEFAULT_VALIDATION_SHARE);
        if (batchSize > users - validation) {
            throw usage(
                    "--batch-size "
                            + batchSize
                            + " exceeds the "
                            + (users - validation)
                            + " training users");
        }
    }

    private void requirePositive(String name, int value) {
        if (value < 1) {
            throw usage(name + " must be >= 1, got " + value);
        }
    }

    private ParameterException usage(String message) {
        return new ParameterException(spec.commandLine(), message);
    }

    private RunSettings settings(String engineName) {
        boolean mixed = amp && "PyTorch".equals(engineName);
        return new RunSettings(
                engineName,
                "unguarded",
                ClipStrategy.observeOnly(),
                optimizer,
                learningRate != null ? learningRate : optimizer.defaultLearningRate(),
                epochs,
                batchSize,
                hidden,
                layers,
                0.2f,
                mixed,
                accumulate,
                false,
                seed);
    }

    /** Converts {@code --strategy} values. */
    static final class StrategyConverter implements CommandLine.ITypeConverter<StrategyChoice> {
        @Override
        public StrategyChoice convert(String value) {
            return StrategyChoice.fromCliName(value);
        }
    }

    /** Converts {@code --optimizer} values. */
    static final class OptimizerConverter implements CommandLine.ITypeConverter<OptimizerChoice> {
        @Override
        public OptimizerChoice convert(String value) {
            return OptimizerChoice.fromCliName(value);
        }
    }
}
