package io.gradguard.mxnet;

import ai.djl.engine.Engine;
import io.gradguard.spi.GradientOps;
import io.gradguard.spi.GradientOpsProvider;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Supplies {@link MxGradientOps} for DJL's MXNet engine, listed in {@code
 * META-INF/services/io.gradguard.spi.GradientOpsProvider}.
 *
 * <p>{@link #create()} loads the engine, builds the fused ops and runs them once on small CPU
 * arrays with known answers. If any of that fails (missing natives, an MXNet build without the
 * multi-tensor operators, a wrong answer), it logs one WARN line and returns {@link
 * GradientOps#generic()}.
 */
public final class MxGradientOpsProvider implements GradientOpsProvider {

    private static final Logger logger = LoggerFactory.getLogger(MxGradientOpsProvider.class);

    /** The engine name DJL gives MXNet. */
    static final String ENGINE_NAME = "MXNet";

    /** Creates the provider; {@link java.util.ServiceLoader} calls this. */
    public MxGradientOpsProvider() {}

    /**
     * Returns {@code "MXNet"}.
     *
     * @return the engine name
     */
    @Override
    public String engineName() {
        return ENGINE_NAME;
    }

    /**
     * Creates and checks the fused ops.
     *
     * @return {@link MxGradientOps}, or {@link GradientOps#generic()} if they cannot be loaded or
     *     fail the self-check
     */
    @Override
    public GradientOps create() {
        return createChecked(MxGradientOps::new);
    }

    /**
     * Builds ops with {@code factory} and self-checks them, falling back to the generic ones.
     *
     * @param factory makes the fused ops
     * @return the fused ops, or {@link GradientOps#generic()} if making or checking them failed
     */
    static GradientOps createChecked(Supplier<? extends GradientOps> factory) {
        try {
            Engine engine = Engine.getEngine(ENGINE_NAME);
            GradientOps ops = factory.get();
            MxSelfCheck.run(engine, ops);
            return ops;
        } catch (RuntimeException | LinkageError e) {
            logger.warn(
                    "Fused MXNet gradient ops unavailable, using the generic implementation: {}",
                    e.toString());
            return GradientOps.generic();
        }
    }
}
