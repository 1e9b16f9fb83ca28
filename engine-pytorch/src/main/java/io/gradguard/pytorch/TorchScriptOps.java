package io.gradguard.pytorch;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.pytorch.engine.PtEngine;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.engine.PtNDManager;
import ai.djl.pytorch.engine.PtSymbolBlock;
import ai.djl.pytorch.jni.IValue;
import ai.djl.pytorch.jni.IValueUtils;
import ai.djl.pytorch.jni.JniUtils;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * The scripted {@code GradGuardOps} module ({@code
 * engine-pytorch/src/main/torchscript/gradguard_ops.py}), loaded from the class path once per
 * device and kept for the life of the JVM.
 *
 * <p>Each loaded module is owned by a base manager of its own that is never closed, so that no
 * caller's manager can free it. Arguments are passed as {@link IValue}s, which belong to no
 * manager: whoever creates one closes it.
 *
 * <p>DJL runs module methods under {@code c10::InferenceMode}; a tensor created there is an
 * inference tensor, which no later in-place operation outside that mode may modify. So methods that
 * produce a value write it into an output array that the caller created ({@link #runInto}), and the
 * tensors the module returns are dropped.
 */
final class TorchScriptOps {

    /** The archive, next to this class on the class path. */
    static final String RESOURCE = "gradguard_ops.pt";

    static final String PER_TENSOR_NORMS = "per_tensor_norms";
    static final String TOTAL_NORM = "total_norm";
    static final String SCALE = "scale_";
    static final String CLIP_BY_GLOBAL_NORM = "clip_by_global_norm_";
    static final String UNSCALE_AND_CHECK = "unscale_and_check_";
    static final String NON_FINITE_FLAG = "non_finite_flag";
    static final String ZERO = "zero_";
    static final String CLAMP = "clamp_";
    static final String SET_DATA = "set_data_";
    static final String GLOBAL_NORM_STEP = "global_norm_step_";

    private static final TorchScriptOps SHARED = new TorchScriptOps();

    private final Map<Device, PtSymbolBlock> blocks = new ConcurrentHashMap<>();
    private final LongAdder calls = new LongAdder();

    private TorchScriptOps() {}

    /** Returns the JVM-wide instance: one module per device for the one PyTorch engine. */
    static TorchScriptOps shared() {
        return SHARED;
    }

    /**
     * Returns the module for a device, loading and compiling it on first use.
     *
     * @throws ai.djl.engine.EngineException if libtorch cannot compile the archive
     * @throws IllegalStateException if the archive is missing from the class path
     */
    PtSymbolBlock module(Device device) {
        return blocks.computeIfAbsent(device, TorchScriptOps::load);
    }

    /**
     * Runs a method that writes its result into {@code out} (also passed among {@code args}) and
     * returns {@code out}; closes {@code out} if the call fails.
     */
    PtNDArray runInto(PtNDArray out, String method, IValue... args) {
        try {
            runInPlace(out.getDevice(), method, args);
            return out;
        } catch (RuntimeException e) {
            out.close();
            throw e;
        }
    }

    /** Runs a method for its in-place effect and drops its result. */
    void runInPlace(Device device, String method, IValue... args) {
        calls.increment();
        IValueUtils.runMethod(module(device), method, args).close();
    }

    /** Returns how many module methods this instance has run, on all devices, since loading. */
    long calls() {
        return calls.sum();
    }

    private static PtSymbolBlock load(Device device) {
        PtNDManager owner =
                (PtNDManager) Engine.getEngine(PtEngine.ENGINE_NAME).newBaseManager(device);
        owner.setName("gradguard-ops");
        try (InputStream in = TorchScriptOps.class.getResourceAsStream(RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException(
                        "TorchScript archive "
                                + RESOURCE
                                + " is missing next to "
                                + TorchScriptOps.class.getName());
            }
            return JniUtils.loadModule(owner, in, true, false);
        } catch (IOException e) {
            owner.close();
            throw new UncheckedIOException("Cannot read TorchScript archive " + RESOURCE, e);
        } catch (RuntimeException e) {
            owner.close();
            throw e;
        }
    }
}
