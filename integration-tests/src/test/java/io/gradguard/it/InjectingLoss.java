package io.gradguard.it;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.training.loss.Loss;

/**
 * An L2 loss that, while armed, injects one of two faults. Test-only.
 *
 * <ul>
 *   <li>{@link #nonFinite()}: the loss value is multiplied by {@code +inf}, a data fault (the loss
 *       itself is not finite);
 *   <li>{@link #overflowing()}: the loss value stays exactly the true loss, but its gradient is
 *       multiplied by {@code 2^125}, as on an fp16 overflow: the value is {@code loss + (q -
 *       stop(q))} with {@code q = loss * 2^125}, whose forward value is {@code loss} (as long as
 *       {@code loss < 2^3}) and whose derivative is {@code 1 + 2^125}. Under a loss scale {@code S
 *       >= 2^3} backward computes {@code S * 2^125 >= 2^128}, which is infinite in float32, so
 *       every gradient becomes non-finite while the loss is finite.
 * </ul>
 */
final class InjectingLoss extends Loss {

    private static final float OVERFLOW_FACTOR = 0x1p125f;

    private final Loss inner = Loss.l2Loss();
    private final boolean overflow;
    private boolean armed;

    private InjectingLoss(boolean overflow) {
        super("L2Loss");
        this.overflow = overflow;
    }

    /** Returns a loss whose armed value is infinite: a data fault. */
    static InjectingLoss nonFinite() {
        return new InjectingLoss(false);
    }

    /** Returns a loss whose armed value is finite but whose scaled gradients overflow. */
    static InjectingLoss overflowing() {
        return new InjectingLoss(true);
    }

    void arm(boolean value) {
        armed = value;
    }

    @Override
    public NDArray evaluate(NDList labels, NDList predictions) {
        NDArray loss = inner.evaluate(labels, predictions);
        if (!armed) {
            return loss;
        }
        if (!overflow) {
            return loss.mul(Float.POSITIVE_INFINITY);
        }
        return loss.add(loss.sub(loss.stopGradient()).mul(OVERFLOW_FACTOR));
    }
}
