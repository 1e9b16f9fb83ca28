package io.gradguard.spi;

/**
 * Supplies a fused {@link GradientOps} for one DJL engine. Engine modules list their provider in
 * {@code META-INF/services/io.gradguard.spi.GradientOpsProvider}, as DJL lists its engines.
 */
public interface GradientOpsProvider {

    /**
     * Returns the engine this provider serves, as {@link ai.djl.engine.Engine#getEngineName()}
     * spells it ({@code "PyTorch"}, {@code "MXNet"}).
     *
     * @return the engine name
     */
    String engineName();

    /**
     * Creates the ops for this provider's engine. Called at most once per engine; an implementation
     * that cannot load its native pieces returns {@link GradientOps#generic()} and logs why once at
     * WARN.
     *
     * @return the ops to use
     */
    GradientOps create();
}
