package io.gradguard.it;

import static org.testng.Assert.assertEquals;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import io.gradguard.clip.GradientClipping;
import io.gradguard.spi.GradientOps;
import io.gradguard.testkit.ClipVectors;
import io.gradguard.testkit.HostTensor;
import io.gradguard.testkit.NormCaseChecks;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.testng.annotations.AfterClass;
import org.testng.annotations.BeforeClass;
import org.testng.annotations.DataProvider;
import org.testng.annotations.Test;

/**
 * {@link GradientClipping#clipGradNorm(List, float, float)}, the function users call, fed every
 * PyTorch norm case on each engine with its engine module on the classpath, so that it runs the
 * fused implementation a guarded step runs ({@code pytorch-fused}, {@code mxnet-fused}): the norm,
 * the clipped gradients and the applied coefficient must be PyTorch's.
 */
public class ClipGradNormVectorsTest {

    private static final Map<String, String> FUSED =
            Map.of("PyTorch", "pytorch-fused", "MXNet", "mxnet-fused");

    private final Map<String, NDManager> managers = new HashMap<>();

    /** Opens one base manager per engine. */
    @BeforeClass
    public void openManagers() {
        for (String engine : FUSED.keySet()) {
            managers.put(engine, NDManager.newBaseManager(Device.cpu(), engine));
        }
    }

    /** Closes the managers. */
    @AfterClass(alwaysRun = true)
    public void closeManagers() {
        managers.values().forEach(NDManager::close);
    }

    /**
     * Supplies test parameters: every norm case on each engine.
     *
     * @return rows of engine name and case
     */
    @DataProvider(propagateFailureAsTestFailure = true)
    public Object[][] engineAndCase() {
        List<Object[]> rows = new ArrayList<>();
        for (String engine : List.of("PyTorch", "MXNet")) {
            for (Object[] row : NormCaseChecks.rows()) {
                rows.add(new Object[] {engine, row[0]});
            }
        }
        return rows.toArray(Object[][]::new);
    }

    /**
     * The function runs the engine's fused ops and matches {@code clip_grad_norm_}.
     *
     * @param engine the engine name
     * @param c the case
     */
    @Test(dataProvider = "engineAndCase")
    public void clipGradNormMatchesPyTorch(String engine, ClipVectors.NormCase c) {
        assertEquals(
                GradientOps.forEngine(Engine.getEngine(engine)).name(),
                FUSED.get(engine),
                "the engine module is on the classpath");
        try (NDManager step = managers.get(engine).newSubManager()) {
            DataType type = c.dataType();
            List<NDArray> grads = HostTensor.toNDArrays(c.grads(), step, type);
            NDArray total = GradientClipping.clipGradNorm(grads, c.maxNorm(), c.normType());
            NormCaseChecks.assertClippedLikePyTorch(c, grads, total, engine + " " + c.name());
        }
    }
}
