package io.gradguard.examples.finetune;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * The fine-tuning example's command line. Exit codes: 0 done, 2 bad options; a failure of the job
 * itself is thrown (picocli prints it and exits 1).
 */
@Command(
        name = "finetune",
        mixinStandardHelpOptions = true,
        version = "GradGuard fine-tuning example 0.1.0",
        sortOptions = false,
        usageHelpWidth = 100,
        description = {
            "Fine-tunes a pretrained backbone with a new head under a GradGuard guard: the"
                    + " backbone (a DJL MLP trained on a pretext task and saved at the first run)"
                    + " is loaded from disk, a new head is added, the model is put in float16 with"
                    + " float32 master weights equal to the saved float32 values"
                    + " (MixedPrecision.toFloat16), and trained with LossScaler.dynamic(),"
                    + " globalNorm clipping and AdamW, unfreezing gradually on one trainer: the"
                    + " head, then the top of the backbone, then everything.",
            "",
            "A checkpoint (model.save and the guard's saveState) is written every"
                    + " --checkpoint-every steps; --resume continues from the last one. On MXNet"
                    + " the same job runs in float32. The run writes <out>/summary.md and"
                    + " <out>/finetune-norms.png.",
            ""
        })
public final class FineTuneDemo implements Callable<Integer> {

    @Spec private CommandSpec spec;

    @Option(
            names = "--engine",
            defaultValue = "pytorch",
            description = "pytorch or mxnet (default: ${DEFAULT-VALUE})")
    private String engine;

    @Option(
            names = "--precision",
            description = "fp16 or fp32 (default: fp16 on pytorch, fp32 on mxnet, its only one)")
    private String precision;

    @Option(
            names = "--optimizer",
            defaultValue = "adamw",
            description = "adamw, or sgd (plain, stateless) (default: ${DEFAULT-VALUE})")
    private String optimizer;

    @Option(
            names = "--learning-rate",
            description = "learning rate (default: 0.003 for adamw, 0.05 for sgd)")
    private Float learningRate;

    @Option(
            names = "--max-norm",
            defaultValue = "1.0",
            description = "global-norm clip threshold (default: ${DEFAULT-VALUE})")
    private float maxNorm;

    @Option(
            names = "--steps-per-phase",
            defaultValue = "60",
            description = "optimizer steps in each unfreezing phase (default: ${DEFAULT-VALUE})")
    private int stepsPerPhase;

    @Option(
            names = "--checkpoint-every",
            defaultValue = "20",
            description = "steps between checkpoints (default: ${DEFAULT-VALUE})")
    private int checkpointEvery;

    @Option(
            names = "--stop-after",
            defaultValue = "0",
            description =
                    "stop after this many optimizer steps in all, as a preempted job would"
                            + " (default: run to the end)")
    private int stopAfter;

    @Option(names = "--resume", description = "continue from the last checkpoint in <out>")
    private boolean resume;

    @Option(
            names = "--batch-size",
            defaultValue = "32",
            description = "batch size (default: ${DEFAULT-VALUE})")
    private int batchSize;

    @Option(
            names = "--seed",
            defaultValue = "11",
            description = "seed of data, backbone and head (default: ${DEFAULT-VALUE})")
    private long seed;

    @Option(
            names = "--out",
            defaultValue = "finetune-out",
            description = "output directory (default: ${DEFAULT-VALUE})")
    private Path out;

    @Option(
            names = "--pretrained",
            description =
                    "directory of the pretrained backbone (default: <out>/pretrained-<engine>)")
    private Path pretrained;

    /**
     * Runs the example.
     *
     * @param args the command line
     */
    public static void main(String[] args) {
        setIfAbsent("ai.djl.offline", "true");
        setIfAbsent("OPT_OUT_TRACKING", "true");
        System.exit(commandLine().execute(args));
    }

    /** Returns the command line, for tests. */
    static CommandLine commandLine() {
        return new CommandLine(new FineTuneDemo());
    }

    private static void setIfAbsent(String key, String value) {
        if (System.getProperty(key) == null) {
            System.setProperty(key, value);
        }
    }

    /**
     * Runs the job with the parsed options.
     *
     * @return 0
     * @throws Exception if training or writing fails
     */
    @Override
    public Integer call() throws Exception {
        FineTuneSettings settings = settings();
        PrintWriter console = spec.commandLine().getOut();
        console.printf("Fine-tuning: %s%n", settings.describe());
        FineTuneResult result = FineTuneJob.run(settings, null);
        FineTuneSummary.write(result);
        console.printf(
                "%s%nSteps %d to %d of %d. Wrote %s and %s in %s%n",
                FineTuneSummary.markdown(result),
                result.firstStep(),
                result.endStep(),
                settings.totalSteps(),
                FineTuneSummary.MARKDOWN,
                FineTuneSummary.CHART,
                settings.out());
        console.flush();
        return 0;
    }

    /** Validates the options; every refusal is a usage error (exit 2). */
    FineTuneSettings settings() {
        String engineName =
                switch (engine.toLowerCase(Locale.ROOT)) {
                    case "pytorch" -> "PyTorch";
                    case "mxnet" -> "MXNet";
                    default -> throw usage("--engine must be pytorch or mxnet, got " + engine);
                };
        boolean pytorch = "PyTorch".equals(engineName);
        String mode = precision == null ? (pytorch ? "fp16" : "fp32") : precision;
        if (!mode.equals("fp16") && !mode.equals("fp32")) {
            throw usage("--precision must be fp16 or fp32, got " + precision);
        }
        if (mode.equals("fp16") && !pytorch) {
            throw usage(
                    "--precision fp16 needs --engine pytorch: DJL cannot train float16 on MXNet");
        }
        boolean adamW;
        switch (optimizer.toLowerCase(Locale.ROOT)) {
            case "adamw" -> adamW = true;
            case "sgd" -> adamW = false;
            default -> throw usage("--optimizer must be adamw or sgd, got " + optimizer);
        }
        float lr = learningRate != null ? learningRate : (adamW ? 3e-3f : 0.05f);
        if (!(lr > 0 && Float.isFinite(lr))) {
            throw usage("--learning-rate must be a finite number > 0, got " + learningRate);
        }
        if (!(maxNorm > 0 && Float.isFinite(maxNorm))) {
            throw usage("--max-norm must be a finite number > 0, got " + maxNorm);
        }
        requirePositive("--steps-per-phase", stepsPerPhase);
        requirePositive("--checkpoint-every", checkpointEvery);
        requirePositive("--batch-size", batchSize);
        if (stopAfter < 0) {
            throw usage("--stop-after must be >= 0, got " + stopAfter);
        }
        if (batchSize > FineTuneJob.SAMPLES) {
            throw usage("--batch-size must be at most the " + FineTuneJob.SAMPLES + " samples");
        }
        Path backbone =
                pretrained != null
                        ? pretrained
                        : out.resolve("pretrained-" + engineName.toLowerCase(Locale.ROOT));
        FineTuneSettings settings =
                new FineTuneSettings(
                        engineName,
                        mode.equals("fp16"),
                        adamW,
                        lr,
                        maxNorm,
                        stepsPerPhase,
                        checkpointEvery,
                        stopAfter,
                        resume,
                        batchSize,
                        seed,
                        out,
                        backbone);
        if (resume
                && !Files.exists(
                        settings.checkpoints()
                                .resolve(FineTuneSettings.CHECKPOINT + "-gradguard.properties"))) {
            throw usage(
                    "--resume: no checkpoint in "
                            + settings.checkpoints()
                            + "; run without --resume first");
        }
        return settings;
    }

    private void requirePositive(String name, int value) {
        if (value < 1) {
            throw usage(name + " must be >= 1, got " + value);
        }
    }

    private ParameterException usage(String message) {
        return new ParameterException(spec.commandLine(), message);
    }
}
