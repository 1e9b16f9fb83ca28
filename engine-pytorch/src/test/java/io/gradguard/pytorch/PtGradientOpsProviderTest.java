package io.gradguard.pytorch;

import static org.testng.Assert.assertEquals;
import static org.testng.Assert.assertSame;
import static org.testng.Assert.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.engine.EngineException;
import io.gradguard.spi.GradientOps;
import io.gradguard.spi.GradientOpsProvider;
import java.util.ServiceLoader;
import org.testng.annotations.Test;

/** Discovery of {@link PtGradientOpsProvider} and its fallback. */
public class PtGradientOpsProviderTest {

    @Test
    public void forEngineReturnsTheFusedOpsForPyTorch() {
        GradientOps ops = GradientOps.forEngine(Engine.getEngine("PyTorch"));
        assertTrue(ops instanceof PtGradientOps, ops.getClass().getName());
        assertEquals(ops.name(), "pytorch-fused");
    }

    @Test
    public void serviceLoaderListsTheProvider() {
        long found =
                ServiceLoader.load(GradientOpsProvider.class).stream()
                        .map(ServiceLoader.Provider::get)
                        .filter(p -> p instanceof PtGradientOpsProvider)
                        .filter(p -> p.engineName().equals("PyTorch"))
                        .count();
        assertEquals(found, 1L);
    }

    @Test
    public void aModuleThatCannotLoadFallsBackToTheGenericOps() {
        PtGradientOpsProvider provider =
                new PtGradientOpsProvider(
                        () -> {
                            throw new EngineException("unknown builtin op");
                        });
        assertSame(provider.create(), GradientOps.generic());
        assertSame(provider.create(), GradientOps.generic());
    }
}
