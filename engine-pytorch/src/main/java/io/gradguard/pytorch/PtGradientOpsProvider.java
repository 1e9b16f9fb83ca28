package io.gradguard.pytorch;

import ai.djl.pytorch.engine.PtEngine;
import io.gradguard.spi.GradientOps;
import io.gradguard.spi.GradientOpsProvider;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Supplies {@link PtGradientOps} for DJL's PyTorch engine; listed in {@code
 * META-INF/services/io.gradguard.spi.GradientOpsProvider}.
 */
public final class PtGradientOpsProvider implements GradientOpsProvider {

    private static final Logger logger = LoggerFactory.getLogger(PtGradientOpsProvider.class);
    private static final AtomicBoolean WARNED = new AtomicBoolean();

    private final Supplier<GradientOps> loader;

    /** Creates the provider that {@link java.util.ServiceLoader} instantiates. */
    public PtGradientOpsProvider() {
        this(PtGradientOps::load);
    }

    /** Creates a provider with another loader (tests use one that fails). */
    PtGradientOpsProvider(Supplier<GradientOps> loader) {
        this.loader = loader;
    }

    /**
     * Returns {@value PtEngine#ENGINE_NAME}.
     *
     * @return the engine name
     */
    @Override
    public String engineName() {
        return PtEngine.ENGINE_NAME;
    }

    /**
     * Loads the TorchScript module and returns the fused ops, or {@link GradientOps#generic()} when
     * the module cannot be loaded (logged once at WARN with the cause).
     *
     * @return the ops for the PyTorch engine
     */
    @Override
    public GradientOps create() {
        try {
            return loader.get();
        } catch (RuntimeException | LinkageError e) {
            if (WARNED.compareAndSet(false, true)) {
                logger.warn(
                        "Cannot load the fused PyTorch gradient ops; using the generic ones", e);
            }
            return GradientOps.generic();
        }
    }
}
