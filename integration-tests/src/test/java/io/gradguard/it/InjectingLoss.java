package io.gradguard.it;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.training.loss.Loss;

/**
 * An L2 loss that, while armed, multiplies its value by {@code +inf}: the gradient of every
 * parameter becomes non-finite, as on an fp16 overflow. Test-only fault injection.
 */
final class InjectingLoss extends Loss {

    private final Loss inner = Loss.l2Loss();
    private boolean armed;

    InjectingLoss() {
        super("L2Loss");
    }

    void arm(boolean value) {
        armed = value;
    }

    @Override
    public NDArray evaluate(NDList labels, NDList predictions) {
        NDArray loss = inner.evaluate(labels, predictions);
        return armed ? loss.mul(Float.POSITIVE_INFINITY) : loss;
    }
}
