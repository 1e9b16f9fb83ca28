package io.gradguard.examples;

import io.gradguard.clip.ClipStrategy;
import io.gradguard.micrometer.PrometheusScrape;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * The GradGuard demo: an LSTM churn model whose training explodes without gradient clipping, on
 * DJL's PyTorch and MXNet engines, taken through the practice step by step: measure the unclipped
 * norms, clip at the recommended threshold, alert on a high clip rate, attribute the spikes to the
 * examples that cause them, fix the data. Run {@code --help} for the story and the options; exit
 * code 0 when the story holds, 1 when it does not (the failing point is named), 2 for bad options.
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
            "Per engine, with the same data, seed and epochs: 1 Measure: an observe-only phase"
                    + " (ClipStrategy.calibrate, weights frozen) gives the norm percentiles and the"
                    + " recommended threshold (p98). 2 Clip: the unguarded run goes NaN; runs"
                    + " clipped at the recommendation and at --max-norm finish. 3 Alert: a"
                    + " ClipRateMonitor fires when more than 10%% of 100 steps clip. 4 Diagnose:"
                    + " SpikeForensics names the spikes' dataset indices, scored against the power"
                    + " users, and classifies the cause. 5 Fix: the 0/1 mask, clipping kept: the"
                    + " clip rate falls and no alert fires. It writes <out>/summary.md and one chart"
                    + " per engine, <out>/<engine>-story.png.",
            "",
            "Optimizer: SGD with momentum by default; an unclipped spike throws the weights far,"
                    + " the next spike is larger, until the logits overflow float32. With"
                    + " --optimizer adamw the unguarded run stays finite (AdamW bounds every"
                    + " coordinate's step); the demo then exits 1 and says so.",
            ""
        },
        footer = {
            "",
            "Exit codes: 0 the story holds on every engine, 1 it does not (each failing point is"
                    + " named on stderr), 2 bad options.",
            "Time for both engines on 2 CPU cores: the default run about 2 min wall on idle"
                    + " cores (3 to 4.5 min on a shared, loaded machine); --full about 3 hours of CPU (1.5 to"
                    + " 3 hours wall), extrapolated from a measured fraction (see the README)."
        })
public final class ChurnDemo implements Callable<Integer> {

    @Spec private CommandSpec spec;

    @Mixin private ModelOptions model;

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
            names = "--measure-steps",
            defaultValue = "100",
            description =
                    "steps the measure phase observes (default: ${DEFAULT-VALUE}, one epoch; the"
                            + " usual advice is 500-1,000)")
    private int measureSteps;

    @Option(
            names = "--max-norm",
            defaultValue = "1.0",
            description =
                    "fixed threshold of the comparison run beside the recommended one (default:"
                            + " ${DEFAULT-VALUE})")
    private float maxNorm;

    @Option(
            names = "--strategy",
            defaultValue = "global-norm",
            converter = StrategyConverter.class,
            description =
                    "clipped runs' strategy: global-norm, value, per-parameter or observe"
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
                            + " in every run; MXNet cannot create float16 arrays through DJL and"
                            + " runs in float32")
    private boolean amp;

    @Option(
            names = "--accumulate",
            defaultValue = "1",
            description =
                    "micro-batches averaged into one optimizer step, in every run (default:"
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

    @Option(names = "--progress", description = "show DJL's progress bars and GradGuard's logs")
    private boolean progress;

    @Option(
            names = "--prometheus",
            paramLabel = "FILE",
            description =
                    "write the final Prometheus scrape of the watched runs' meters"
                            + " (gradguard-micrometer, tagged guard=<run> and engine) to FILE")
    private Path prometheus;

    private StepReportSink reportSink;

    /**
     * Runs the demo from the command line and exits with its code.
     *
     * @param args the command-line arguments; see {@code --help}
     */
    public static void main(String[] args) {
        setIfAbsent("ai.djl.offline", "true");
        setIfAbsent("OPT_OUT_TRACKING", "true");
        // The demo prints what matters itself; the engines' and the guard's logs come with
        // --progress. Logging is configured before the first logger exists, hence the scan.
        boolean verbose = Arrays.asList(args).contains("--progress");
        setIfAbsent("org.slf4j.simpleLogger.defaultLogLevel", verbose ? "info" : "warn");
        setIfAbsent("org.slf4j.simpleLogger.log.io.gradguard", verbose ? "info" : "error");
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
                ChurnDataGenerator.generate(
                        ChurnDataSpec.of(model.users, model.seqLen(), model.longTailShare, seed));
        Files.createDirectories(out);
        StepReportSink sink = reportSink != null ? reportSink : new ReportFilesSink();
        StoryConsole story = new StoryConsole(console);
        PrometheusMeterRegistry registry =
                prometheus == null ? null : new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        EngineStory.Plan plan =
                new EngineStory.Plan(
                        measureSteps,
                        strategy,
                        maxNorm,
                        new RunHooks(List.of(), progress),
                        registry);
        List<EngineStory> stories = new ArrayList<>();
        List<String> problems = new ArrayList<>();
        String setting = null;
        for (String engineName : engine.engineNames()) {
            RunSettings base = settings(engineName);
            if (setting == null) {
                setting = DemoConsole.setting(data, base, amp);
                story.print(setting);
            }
            story.engine(engineName);
            EngineStory told = EngineStory.tell(base, data, plan, story);
            story.print("\n" + SummaryTable.of(told).toText());
            for (RunResult run : told.runs()) {
                sink.accept(
                        DemoConsole.runName(run),
                        run.reports(),
                        run.settings().strategy().threshold(),
                        out);
            }
            if (reportSink == null) {
                StoryChart.write(
                        told, out.resolve(engineName.toLowerCase(Locale.ROOT) + "-story.png"));
            }
            stories.add(told);
            problems.addAll(StoryCheck.problems(told));
        }
        Path summary = out.resolve("summary.md");
        Files.writeString(
                summary, StoryMarkdown.of(setting, stories, problems), StandardCharsets.UTF_8);
        console.printf(
                "%nWrote %s, the charts <engine>-story.png and per run the step reports"
                        + " and charts in %s%n",
                summary, out);
        if (registry != null) {
            Path parent = prometheus.toAbsolutePath().getParent();
            if (parent != null) {
                Files.createDirectories(parent);
            }
            PrometheusScrape.write(registry, prometheus);
            console.printf("Wrote the final Prometheus scrape to %s%n", prometheus);
        }
        story.verdict(problems, spec.commandLine().getErr());
        return problems.isEmpty() ? 0 : 1;
    }

    private void validate() {
        ModelOptions.requirePositive(this::usage, "--epochs", epochs);
        ModelOptions.requirePositive(this::usage, "--accumulate", accumulate);
        ModelOptions.requirePositive(this::usage, "--measure-steps", measureSteps);
        model.validate(this::usage);
        if (!(maxNorm > 0 && Float.isFinite(maxNorm))) {
            throw usage("--max-norm must be a finite number > 0, got " + maxNorm);
        }
        if (learningRate != null && !(learningRate > 0 && Float.isFinite(learningRate))) {
            throw usage("--learning-rate must be a finite number > 0, got " + learningRate);
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
                model.batchSize(),
                model.hidden(),
                model.layers(),
                model.dropRate(),
                mixed,
                accumulate,
                true,
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
