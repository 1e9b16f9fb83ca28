package io.gradguard.examples.bench;

import ai.djl.mxnet.jna.JnaUtils;
import ai.djl.ndarray.NDArray;

/**
 * Waits until the device has finished the work queued so far, so that a timing covers it. DJL's
 * PyTorch engine runs CPU operators synchronously; MXNet queues them on its own engine threads, so
 * reading one value waits only for the writes to that array and a {@code MXNDArrayWaitAll} is
 * needed as well.
 */
final class DeviceSync {

    private DeviceSync() {}

    /**
     * Reads the first element of {@code array} back to the host (one device-to-host transfer), then
     * on MXNet waits for every queued operation.
     *
     * @param array an array the timed work wrote last
     * @return the value read, so that the read cannot be optimized away
     */
    static float finish(NDArray array) {
        long[] origin = new long[array.getShape().dimension()];
        float value = array.getFloat(origin);
        if ("MXNet".equals(array.getManager().getEngine().getEngineName())) {
            JnaUtils.waitAll();
        }
        return value;
    }

    /**
     * Waits for every queued operation of an engine without reading anything (no-op on PyTorch).
     *
     * @param engineName the engine
     */
    static void drain(String engineName) {
        if ("MXNet".equals(engineName)) {
            JnaUtils.waitAll();
        }
    }
}
