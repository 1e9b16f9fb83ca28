package io.gradguard.examples.bench;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.ndarray.types.SparseFormat;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.engine.PtNDManager;
import ai.djl.pytorch.jni.IValue;
import ai.djl.pytorch.jni.JniUtils;

/**
 * Times what the PyTorch ops do around the TorchScript call of one guarded step, alone: the eleven
 * arguments of {@code global_norm_step_} made into {@link IValue}s (the gradient list, four flags,
 * five device scalars and the norm type) and closed, and the packed output array allocated and
 * freed, in a step's sub-manager. The call itself and its JNI crossing are not included.
 */
final class ArgumentCost {

    private ArgumentCost() {}

    /**
     * Times the arguments of a step over the set's gradients.
     *
     * @param set the gradient shapes (their values do not matter)
     * @param trials timed repetitions, after as many untimed
     * @return the timing
     */
    static Timing measure(GradientSet set, int trials) {
        long[] nanos = new long[trials];
        try (NDManager base = NDManager.newBaseManager(Device.cpu(), "PyTorch")) {
            PtNDArray[] grads = new PtNDArray[set.count()];
            for (int i = 0; i < grads.length; i++) {
                grads[i] = (PtNDArray) base.zeros(set.shapes().get(i));
            }
            PtNDArray scalar = (PtNDArray) base.create(1f);
            for (int i = -trials; i < trials; i++) {
                long start = System.nanoTime();
                try (PtNDManager step = (PtNDManager) base.newSubManager()) {
                    PtNDArray out =
                            JniUtils.createEmptyNdArray(
                                    step,
                                    new Shape(5),
                                    DataType.FLOAT32,
                                    Device.cpu(),
                                    SparseFormat.DENSE);
                    IValue[] arguments = {
                        IValue.listFrom(grads),
                        IValue.from(true),
                        IValue.from(false),
                        IValue.from(scalar),
                        IValue.from(false),
                        IValue.from(true),
                        IValue.from(scalar),
                        IValue.from(scalar),
                        IValue.from(2.0),
                        IValue.from(scalar),
                        IValue.from(out)
                    };
                    for (IValue argument : arguments) {
                        argument.close();
                    }
                }
                if (i >= 0) {
                    nanos[i] = System.nanoTime() - start;
                }
            }
        }
        return Timing.ofNanos(nanos);
    }
}
