package io.gradguard.spi;

import ai.djl.engine.Engine;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Finds and caches the {@link GradientOps} for each engine through {@link ServiceLoader}. */
final class GradientOpsLookup {

    private static final Logger logger = LoggerFactory.getLogger(GradientOpsLookup.class);
    private static final Map<String, GradientOps> CACHE = new ConcurrentHashMap<>();

    private GradientOpsLookup() {}

    /**
     * Returns the cached ops for an engine, creating them on first use.
     *
     * @param engine the engine
     * @return the engine's fused ops, or the generic ones
     */
    public static GradientOps forEngine(Engine engine) {
        String name = engine.getEngineName();
        return CACHE.computeIfAbsent(name, GradientOpsLookup::load);
    }

    private static GradientOps load(String engineName) {
        ServiceLoader<GradientOpsProvider> loader =
                ServiceLoader.load(
                        GradientOpsProvider.class, GradientOpsLookup.class.getClassLoader());
        for (GradientOpsProvider provider : loader) {
            if (provider.engineName().equals(engineName)) {
                GradientOps ops = provider.create();
                logger.debug("Gradient ops for {}: {}", engineName, ops.name());
                return ops;
            }
        }
        logger.info(
                "No fused gradient ops registered for engine {}; using the generic implementation",
                engineName);
        return GradientOps.generic();
    }
}
