package io.gradguard.examples.bench;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.engine.PtNDManager;
import ai.djl.pytorch.engine.PtSymbolBlock;
import ai.djl.pytorch.jni.IValue;
import ai.djl.pytorch.jni.IValueUtils;
import ai.djl.pytorch.jni.JniUtils;
import io.gradguard.spi.GlobalNormStep;
import io.gradguard.spi.GradientOps;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Supplier;

/**
 * The same TorchScript calls timed in the two runtimes that the side-by-side table compares: from
 * Java through DJL into its libtorch 2.7.1, and from Python into Debian's torch 1.13 ({@code
 * tools/bench/torch_step_profile.py}, started as a child process). The calls are the shipped
 * module's {@code scale_} of an empty list (no operator: the fixed cost of a call) and its {@code
 * global_norm_step_} (check and clip, bound 1e30 so nothing is multiplied) on the churn LSTM's 11
 * gradient shapes and on 1,000 x 1,000, with the same protocol on both sides: medians of 201 calls
 * after 50 untimed, three rounds, the median of the three.
 */
final class RuntimeComparison {

    static final String SCRIPT = "tools/bench/torch_step_profile.py";
    private static final String ARCHIVE = "io/gradguard/pytorch/gradguard_ops.pt";
    private static final String LSTM = "LSTM, 11 tensors";
    private static final String THOUSAND = "1000 x 1000";
    private static final String EMPTY = "empty call";

    private RuntimeComparison() {}

    /**
     * Measures the Java side, runs the Python side if {@code python} can, and returns the table.
     *
     * @param python the interpreter with torch, such as {@code /usr/bin/python3}
     * @return markdown lines
     */
    static List<String> table(Path python) {
        Map<String, Double> java = new HashMap<>();
        java.put(EMPTY, emptyCallMs());
        java.put(LSTM, stepMs(BenchLstm.parameterSet("PyTorch", 32, 50)));
        java.put(THOUSAND, stepMs(GradientSet.uniform(1000, 1000)));
        Map<String, Double> torch = pythonSide(python);
        List<String> lines = new ArrayList<>();
        lines.add("| call | Java -> DJL libtorch 2.7.1 ms | Python -> torch 1.13 ms | ratio |");
        lines.add("|---|---|---|---|");
        for (String label : List.of(EMPTY, LSTM, THOUSAND)) {
            Double t = torch.get(label);
            lines.add(
                    String.format(
                            Locale.ROOT,
                            "| %s | %.4f | %s | %s |",
                            label.equals(EMPTY) ? "scale_ of no tensors" : label,
                            java.get(label),
                            t == null ? "not measured" : String.format(Locale.ROOT, "%.4f", t),
                            t == null
                                    ? "-"
                                    : String.format(Locale.ROOT, "%.2f", java.get(label) / t)));
        }
        return lines;
    }

    private static double emptyCallMs() {
        try (PtNDManager owner = (PtNDManager) NDManager.newBaseManager(Device.cpu(), "PyTorch");
                InputStream in =
                        RuntimeComparison.class.getClassLoader().getResourceAsStream(ARCHIVE)) {
            if (in == null) {
                throw new IllegalStateException(ARCHIVE + " is not on the class path");
            }
            PtSymbolBlock module = JniUtils.loadModule(owner, in, true, false);
            PtNDArray one = (PtNDArray) owner.create(1f);
            PtNDArray[] none = new PtNDArray[0];
            return rounds(
                    () -> {
                        try (IValue list = IValue.listFrom(none);
                                IValue factor = IValue.from(one)) {
                            IValueUtils.runMethod(module, "scale_", list, factor).close();
                        }
                        return null;
                    },
                    owner);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static double stepMs(GradientSet set) {
        GradientOps ops = GradientOps.forEngine(Engine.getEngine("PyTorch"));
        try (NDManager base = NDManager.newBaseManager(Device.cpu(), "PyTorch")) {
            List<NDArray> grads = new ArrayList<>();
            for (Shape shape : set.shapes()) {
                grads.add(base.randomNormal(shape));
            }
            GlobalNormStep step = new GlobalNormStep(null, false, true, null, 1e30f, 2f, null);
            return rounds(() -> ops.globalNormStep(grads, step), base);
        }
    }

    /** Median of three rounds of the median of 201 timed calls after 50, each in a scope. */
    private static double rounds(Supplier<NDArray> call, NDManager base) {
        double[] medians = new double[3];
        for (int r = 0; r < medians.length; r++) {
            long[] nanos = new long[201];
            for (int i = -50; i < nanos.length; i++) {
                try (NDManager scope = base.newSubManager()) {
                    long start = System.nanoTime();
                    NDArray result = call.get();
                    if (result != null) {
                        result.attach(scope);
                    }
                    if (i >= 0) {
                        nanos[i] = System.nanoTime() - start;
                    }
                }
            }
            Arrays.sort(nanos);
            medians[r] = nanos[nanos.length / 2] / 1e6;
        }
        Arrays.sort(medians);
        return medians[1];
    }

    /** Runs the Python script and reads its "scripted ms" column; empty if it cannot. */
    private static Map<String, Double> pythonSide(Path python) {
        Map<String, Double> out = new HashMap<>();
        Path script = TorchReference.findScript(Path.of("").toAbsolutePath(), SCRIPT);
        if (!Files.isExecutable(python) || script == null) {
            System.out.println(
                    "note: "
                            + python
                            + " or "
                            + SCRIPT
                            + " is missing; the Python side is skipped");
            return out;
        }
        try {
            List<String> lines = TorchReference.run(List.of(python.toString(), script.toString()));
            if (lines == null) {
                System.out.println("note: " + SCRIPT + " failed; the Python side is skipped");
                return out;
            }
            for (String line : lines) {
                String[] cells = line.split("\\|");
                if (cells.length > 2) {
                    String label = cells[1].trim();
                    if (label.equals(EMPTY) || label.equals(LSTM) || label.equals(THOUSAND)) {
                        out.put(label, Double.parseDouble(cells[2].trim()));
                    }
                }
            }
        } catch (IOException e) {
            System.out.println("note: " + SCRIPT + " could not start: " + e.getMessage());
        }
        return out;
    }
}
