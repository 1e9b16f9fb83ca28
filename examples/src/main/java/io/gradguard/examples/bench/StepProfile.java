package io.gradguard.examples.bench;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.Trainer;
import ai.djl.training.loss.Loss;
import io.gradguard.spi.GradientOps;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Where the time of one guarded PyTorch step goes: Java outside the gradient ops, the JNI crossing
 * with its arguments, the TorchScript interpreter, and the ATen operators (dispatch and kernels).
 *
 * <p>Each case (the churn LSTM's parameter set and the transformer-shaped set in a stand-in block's
 * steps, and the churn LSTM in real training steps; each with the clip guard and with a dynamic
 * loss scaler) runs twice after a warm-up: first without a profiler, timing the guard's {@code
 * onTrainingBatch} and the part of it inside {@code GradientOps} ({@link TimedListener}); then
 * under libtorch's profiler ({@code JniUtils.startProfile}), which records the one TorchScript call
 * of each step ({@code global_norm_step_}) and every ATen operator inside it. From the trace:
 *
 * <ul>
 *   <li><b>JNI and arguments</b> = time in {@code GradientOps} − the call's span (argument
 *       conversion, the JNI crossing, the output array, dropping the result);
 *   <li><b>interpreter</b> = the span − the ATen operators called directly by the script;
 *   <li><b>ATen</b> = those operators' time, with their count per step.
 * </ul>
 *
 * The profiler adds cost at every operator, so its split is shown as measured, beside the times
 * without it; the difference of the two {@code GradientOps} times is that cost.
 */
@Command(
        name = "step-profile",
        mixinStandardHelpOptions = true,
        description = "Profiles one guarded PyTorch step: Java, JNI, interpreter, ATen operators.")
public final class StepProfile implements Callable<Integer> {

    @Option(
            names = "--steps",
            description = "Timed steps per case, without and with the profiler (default 200).")
    private int steps = 200;

    @Option(
            names = "--warmup-seconds",
            description =
                    "Untimed steps per case first, for this long (default 8): the JVM compiles the"
                            + " guard's Java side only after thousands of steps.")
    private int warmupSeconds = 8;

    @Option(
            names = "--trace-dir",
            description = "Where the profiler's traces go (default: a temporary directory).")
    private Path traceDir;

    @Option(
            names = "--python",
            description =
                    "Python with Debian's torch, for the runtime comparison (default"
                            + " /usr/bin/python3).")
    private Path python = Path.of("/usr/bin/python3");

    /** One line of the table. */
    private record Row(
            String label,
            Timing guard,
            Timing ops,
            Timing opsProfiled,
            Timing arguments,
            TraceSummary.Split split,
            List<String> topOperators) {}

    /**
     * Runs the profile.
     *
     * @param args options, see {@code --help}
     */
    public static void main(String[] args) {
        System.exit(ClipBenchmark.runOffline(new StepProfile(), args));
    }

    @Override
    public Integer call() throws IOException {
        if (steps < 10 || warmupSeconds < 0) {
            throw new CommandLine.ParameterException(
                    new CommandLine(this),
                    "--steps must be at least 10 and --warmup-seconds at least 0, got "
                            + steps
                            + " and "
                            + warmupSeconds);
        }
        Path dir = traceDir != null ? traceDir : Files.createTempDirectory("gradguard-profile");
        Files.createDirectories(dir);
        String engine = "PyTorch";
        Engine.getEngine(engine);
        JniUtils.setNumThreads(1);
        List<Row> rows = new ArrayList<>();
        GradientSet lstm = BenchLstm.parameterSet(engine, 32, 50);
        for (boolean scaled : new boolean[] {false, true}) {
            rows.add(standIn(engine, lstm, scaled, dir));
            rows.add(realLstm(engine, scaled, dir));
            rows.add(standIn(engine, GradientSet.transformer(), scaled, dir));
        }
        print(rows);
        System.out.println();
        System.out.println(
                "The same TorchScript calls in the two runtimes of the side-by-side table (ms):");
        System.out.println();
        RuntimeComparison.table(python).forEach(System.out::println);
        return 0;
    }

    private Row standIn(String engine, GradientSet set, boolean scaled, Path dir) {
        GradientOps ops = GradientOps.forEngine(Engine.getEngine(engine));
        TimedListener timed = TimedListener.globalNorm(ops, true, scaled, 1f);
        try (NDManager data = NDManager.newBaseManager(Device.cpu(), engine);
                Model model = GuardTimer.model(engine, set, "profile");
                Trainer trainer = model.newTrainer(timed.config(Loss.l2Loss(), GuardTimer.sgd()))) {
            trainer.initialize(new Shape(1, 1));
            NDArray x = data.full(new Shape(1, 1), 0.01f);
            NDArray y = data.zeros(new Shape(1, 1));
            Runnable step = () -> GuardTimer.step(trainer, data, x, y);
            return measure(label("stand-in", set.label(), scaled), set, timed, step, dir);
        }
    }

    private Row realLstm(String engine, boolean scaled, Path dir) {
        GradientOps ops = GradientOps.forEngine(Engine.getEngine(engine));
        TimedListener timed = TimedListener.globalNorm(ops, true, scaled, StepTimer.ALWAYS_CLIPPED);
        Loss loss = Loss.sigmoidBinaryCrossEntropyLoss();
        try (NDManager data = NDManager.newBaseManager(Device.cpu(), engine);
                Model model = StepTimer.newModel(engine, "profile");
                Trainer trainer = model.newTrainer(timed.config(loss, StepTimer.adam()))) {
            trainer.initialize(new Shape(32, 50));
            NDArray x = StepTimer.events(data, 32, 50);
            NDArray y = StepTimer.labels(data, 32);
            Runnable step = () -> StepTimer.step(trainer, data, x, y, 32);
            GradientSet set = BenchLstm.parameterSet(engine, 32, 50);
            return measure(label("real step", "LSTM 32x50", scaled), set, timed, step, dir);
        }
    }

    private Row measure(
            String label, GradientSet set, TimedListener timed, Runnable step, Path dir) {
        long warmEnd = System.nanoTime() + warmupSeconds * 1_000_000_000L;
        do {
            step.run();
        } while (System.nanoTime() < warmEnd);
        timed.reset();
        for (int i = 0; i < steps; i++) {
            step.run();
        }
        timed.reportUnclipped(label);
        Timing guard = timed.timing();
        Timing ops = timed.opsTiming();
        timed.reset();
        Path trace = dir.resolve(label.replaceAll("[^A-Za-z0-9]+", "-") + ".json");
        JniUtils.startProfile(false, false, false);
        try {
            for (int i = 0; i < steps; i++) {
                step.run();
            }
        } finally {
            JniUtils.stopProfile(trace.toString());
        }
        TraceSummary summary;
        try {
            summary = TraceSummary.read(trace, "global_norm_step_");
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot read the profiler's trace " + trace, e);
        }
        return new Row(
                label,
                guard,
                ops,
                timed.opsTiming(),
                ArgumentCost.measure(set, steps),
                summary.split(),
                summary.topOperators(4));
    }

    private static String label(String kind, String set, boolean scaled) {
        return kind + " " + set + (scaled ? ", + loss scaler" : ", clip");
    }

    private static void print(List<Row> rows) {
        System.out.println();
        System.out.println(
                "Where one guarded step's time goes (ms, medians; PyTorch, one thread). 'Arguments"
                        + " and JNI' is timed alone; the call is what remains of 'in GradientOps';"
                        + " it is split by the share of the call's span that lies between the ATen"
                        + " operators under libtorch's profiler, whose own cost per operator"
                        + " record is in the last column.");
        System.out.println();
        System.out.println(
                "| case | guard | in GradientOps | Java outside the ops | arguments and JNI |"
                        + " TorchScript call | interpreter | ATen operators | operators per call"
                        + " (direct / all) | profiler us per record |");
        System.out.println("|---|---|---|---|---|---|---|---|---|---|");
        for (Row r : rows) {
            TraceSummary.Split s = r.split();
            double ops = r.ops().median();
            double call = ops - r.arguments().median();
            double profilerMicros = (r.opsProfiled().median() - ops) * 1e3 / s.records();
            System.out.println(
                    String.format(
                            Locale.ROOT,
                            "| %s | %.3f | %.3f | %.3f | %.3f | %.3f | %.3f | %.3f | %d / %d |"
                                    + " %.1f |",
                            r.label(),
                            r.guard().median(),
                            ops,
                            r.guard().median() - ops,
                            r.arguments().median(),
                            call,
                            call * s.interpreterShare(),
                            call * (1 - s.interpreterShare()),
                            s.operators(),
                            s.records(),
                            profilerMicros));
        }
        System.out.println();
        System.out.println("Largest ATen operators inside the call (ms per call, profiled):");
        for (Row r : rows) {
            System.out.println("  " + r.label() + ": " + String.join(", ", r.topOperators()));
        }
    }
}
