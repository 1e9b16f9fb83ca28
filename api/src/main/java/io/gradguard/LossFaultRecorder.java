package io.gradguard;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;

/**
 * Remembers, on the device, whether any loss evaluated since the last optimizer step was NaN or
 * infinite: the sign of a data fault rather than an overflow. {@link ScaledLoss} records every loss
 * it evaluates (every device split, every micro-batch of a window); the listener takes the flag
 * once per optimizer step and reads it in the step's single transfer.
 *
 * <p>A value {@code x} is finite exactly when {@code x - x == 0}; the test uses only subtraction
 * and comparison, which every engine implements. Thread-safe: DJL may evaluate device splits on
 * several threads.
 */
final class LossFaultRecorder implements AutoCloseable {

    private final NDManager manager;
    private final Device device;
    private NDArray flag;

    LossFaultRecorder(NDManager parent, Device device) {
        this.manager = parent.newSubManager(device);
        this.manager.setName("gradguard-loss-faults");
        this.device = device;
    }

    /** Records whether {@code loss} holds a NaN or infinite value; no host synchronization. */
    synchronized void record(NDArray loss) {
        if (!manager.isOpen()) {
            return;
        }
        try (NDManager scope = manager.newSubManager()) {
            NDArray detached = loss.stopGradient();
            detached.attach(scope);
            // Element by element: a sum of finite per-sample losses may itself overflow.
            NDArray difference = detached.sub(detached);
            difference.attach(scope);
            NDArray flags = difference.neq(0f).toType(DataType.FLOAT32, false);
            flags.attach(scope);
            NDArray nonFinite = flags.getShape().isScalar() ? flags : flags.max();
            nonFinite.attach(scope);
            NDArray here = nonFinite.toDevice(device, false);
            here.attach(scope);
            NDArray next = flag == null ? here.duplicate() : flag.maximum(here);
            next.attach(manager);
            if (flag != null) {
                flag.close();
            }
            flag = next;
        }
    }

    /**
     * Returns the flag of the losses recorded since the last call, attached to {@code scope}, and
     * starts a new step; {@code null} if no loss was recorded.
     */
    synchronized NDArray take(NDManager scope) {
        NDArray taken = flag;
        flag = null;
        if (taken != null) {
            taken.attach(scope);
        }
        return taken;
    }

    @Override
    public synchronized void close() {
        flag = null;
        manager.close();
    }
}
