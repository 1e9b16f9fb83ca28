package io.gradguard.mxnet;

import static org.testng.Assert.assertSame;
import static org.testng.Assert.assertTrue;

import ai.djl.ndarray.NDArray;
import io.gradguard.spi.GradientOps;
import java.util.List;
import org.testng.annotations.Test;

/** The provider's self-check and its fallback to the generic ops. */
public class MxGradientOpsProviderTest {

    @Test
    public void workingOpsPassTheSelfCheck() {
        assertTrue(
                MxGradientOpsProvider.createChecked(MxGradientOps::new) instanceof MxGradientOps);
    }

    @Test
    public void opsThatCannotLoadFallBackToGeneric() {
        GradientOps ops =
                MxGradientOpsProvider.createChecked(
                        () -> {
                            throw new UnsatisfiedLinkError("no libmxnet");
                        });
        assertSame(ops, GradientOps.generic());
    }

    @Test
    public void opsWithAWrongAnswerFallBackToGeneric() {
        GradientOps ops = MxGradientOpsProvider.createChecked(WrongTotalNorm::new);
        assertSame(ops, GradientOps.generic());
    }

    /** Fused ops whose total norm is the L1 norm: 19 instead of 13 on the self-check's input. */
    private static final class WrongTotalNorm extends ForwardingOps {
        WrongTotalNorm() {
            super(new MxGradientOps());
        }

        @Override
        public NDArray totalNorm(List<NDArray> grads, float normType) {
            return super.totalNorm(grads, 1f);
        }
    }

    /** Passes every call to another implementation. */
    private static class ForwardingOps implements GradientOps {
        private final GradientOps delegate;

        ForwardingOps(GradientOps delegate) {
            this.delegate = delegate;
        }

        @Override
        public NDArray perTensorNorms(List<NDArray> grads, float normType) {
            return delegate.perTensorNorms(grads, normType);
        }

        @Override
        public NDArray totalNorm(List<NDArray> grads, float normType) {
            return delegate.totalNorm(grads, normType);
        }

        @Override
        public void scaleInPlace(List<NDArray> grads, NDArray factor) {
            delegate.scaleInPlace(grads, factor);
        }

        @Override
        public void clampInPlace(List<NDArray> grads, float limit) {
            delegate.clampInPlace(grads, limit);
        }

        @Override
        public NDArray nonFiniteFlag(List<NDArray> grads) {
            return delegate.nonFiniteFlag(grads);
        }

        @Override
        public NDArray unscaleAndCheck(List<NDArray> grads, NDArray invScale) {
            return delegate.unscaleAndCheck(grads, invScale);
        }

        @Override
        public void zeroInPlace(List<NDArray> grads) {
            delegate.zeroInPlace(grads);
        }

        @Override
        public String name() {
            return delegate.name();
        }
    }
}
