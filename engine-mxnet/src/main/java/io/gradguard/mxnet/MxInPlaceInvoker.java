package io.gradguard.mxnet;

import ai.djl.engine.Engine;
import ai.djl.engine.EngineException;
import ai.djl.mxnet.engine.MxNDArray;
import ai.djl.mxnet.jna.LibUtils;
import ai.djl.ndarray.NDArray;
import com.sun.jna.Library;
import com.sun.jna.Native;
import com.sun.jna.Pointer;
import com.sun.jna.ptr.PointerByReference;
import java.nio.IntBuffer;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Runs MXNet operators that write into their inputs and have no outputs, such as {@code
 * reset_arrays}, through MXNet's C API.
 *
 * <p>DJL's {@code NDManager.invoke} always announces one output to {@code MXImperativeInvokeEx}, so
 * an operator with zero outputs fails there ("expects 0 outputs, but got 1"); this class announces
 * zero. It binds to the library DJL already loaded ({@link LibUtils#getLibName()}), with the same
 * open flags, so no second copy of MXNet is mapped.
 */
final class MxInPlaceInvoker {

    /** The three C functions this class needs, as MXNet 1.9 declares them in c_api.h. */
    interface CApi extends Library {

        int NNGetOpHandle(String opName, PointerByReference handle);

        int MXImperativeInvokeEx(
                Pointer creator,
                int numInputs,
                Pointer[] inputs,
                IntBuffer numOutputs,
                PointerByReference outputs,
                int numParams,
                String[] paramKeys,
                String[] paramValues,
                PointerByReference outStorageTypes);

        String MXGetLastError();
    }

    /** {@code RTLD_LAZY | RTLD_LOCAL}, as DJL opens the library on Linux. */
    private static final int RTLD_LAZY_LOCAL = 1;

    private final CApi api;
    private final Map<String, Pointer> opHandles = new ConcurrentHashMap<>();

    private MxInPlaceInvoker(CApi api) {
        this.api = api;
    }

    /**
     * Loads DJL's MXNet engine if it is not loaded yet, then binds to the library it loaded.
     *
     * @return the invoker
     * @throws ai.djl.engine.EngineException if the MXNet engine cannot be loaded
     * @throws UnsatisfiedLinkError if the library or a symbol cannot be found
     */
    static MxInPlaceInvoker load() {
        Engine.getEngine(MxGradientOpsProvider.ENGINE_NAME);
        String libName = LibUtils.getLibName();
        CApi api =
                System.getProperty("os.name", "").startsWith("Linux")
                        ? Native.load(
                                libName,
                                CApi.class,
                                Map.of(Library.OPTION_OPEN_FLAGS, RTLD_LAZY_LOCAL))
                        : Native.load(libName, CApi.class);
        return new MxInPlaceInvoker(api);
    }

    /**
     * Runs {@code opName} on {@code inputs}, which it modifies in place. The call is queued on
     * MXNet's engine like any other operator: it returns before the work is done and never waits
     * for the device.
     *
     * @param opName an MXNet operator with no outputs
     * @param inputs MXNet arrays on one device
     * @param paramKeys operator parameter names
     * @param paramValues operator parameter values, as MXNet parses them
     * @throws EngineException if MXNet rejects the call
     */
    void invoke(String opName, List<NDArray> inputs, String[] paramKeys, String[] paramValues) {
        Pointer[] handles = new Pointer[inputs.size()];
        for (int i = 0; i < handles.length; i++) {
            handles[i] = ((MxNDArray) inputs.get(i)).getHandle();
        }
        IntBuffer numOutputs = IntBuffer.allocate(1);
        check(
                api.MXImperativeInvokeEx(
                        opHandle(opName),
                        handles.length,
                        handles,
                        numOutputs,
                        new PointerByReference(),
                        paramKeys.length,
                        paramKeys,
                        paramValues,
                        new PointerByReference()));
    }

    private Pointer opHandle(String opName) {
        return opHandles.computeIfAbsent(
                opName,
                name -> {
                    PointerByReference ref = new PointerByReference();
                    check(api.NNGetOpHandle(name, ref));
                    if (ref.getValue() == null) {
                        throw new EngineException("MXNet has no operator named " + name);
                    }
                    return ref.getValue();
                });
    }

    private void check(int status) {
        if (status != 0) {
            throw new EngineException("MXNet engine call failed: " + api.MXGetLastError());
        }
    }
}
