package io.gradguard.testkit;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import io.gradguard.spi.GradientOps;
import java.util.ArrayList;
import java.util.List;
import org.testng.SkipException;
import org.testng.annotations.AfterClass;
import org.testng.annotations.AfterMethod;
import org.testng.annotations.BeforeClass;
import org.testng.annotations.BeforeMethod;

/**
 * The setup and helpers shared by the parts of the {@link GradientOpsContractKit}: a base manager
 * per class on the CPU of the engine under test, a sub-manager per test, and the conversions from
 * host values. Extend {@link GradientOpsContractKit}, not this class.
 */
public abstract class GradientOpsKitBase {

    /** The epsilon of {@code torch.nn.utils.clip_grad_norm_}. */
    private static final float EPS = 1e-6f;

    private NDManager engineManager;
    private NDManager manager;

    /**
     * Returns the implementation under test.
     *
     * @return the ops
     */
    protected abstract GradientOps ops();

    /**
     * Returns the DJL engine the arrays are created on, {@code "PyTorch"} or {@code "MXNet"}.
     *
     * @return the engine name
     */
    protected abstract String engineName();

    /**
     * Tells whether the engine can hold float16 arrays; float16 tests skip where it cannot.
     *
     * @return true by default
     */
    protected boolean supportsFloat16() {
        return true;
    }

    /**
     * Returns the sub-manager of the running test, closed after it.
     *
     * @return the test's manager
     */
    protected final NDManager manager() {
        return manager;
    }

    /**
     * Returns the base manager of this class, closed after its last test.
     *
     * @return the class's manager
     */
    protected final NDManager engineManager() {
        return engineManager;
    }

    /** Opens the base manager of this class on the CPU of {@link #engineName()}. */
    @BeforeClass
    public void openEngineManager() {
        engineManager = NDManager.newBaseManager(Device.cpu(), engineName());
    }

    /** Closes the base manager and everything left in it. */
    @AfterClass(alwaysRun = true)
    public void closeEngineManager() {
        if (engineManager != null) {
            engineManager.close();
        }
    }

    /** Opens the sub-manager that holds one test's arrays, as a training step would. */
    @BeforeMethod
    public void openStepManager() {
        manager = engineManager.newSubManager();
    }

    /** Closes the test's sub-manager. */
    @AfterMethod(alwaysRun = true)
    public void closeStepManager() {
        if (manager != null) {
            manager.close();
        }
    }

    /**
     * Clips as the contract prescribes, with {@link GradientOps#totalNorm} and {@link
     * GradientOps#scaleInPlace}.
     *
     * @param grads the gradients, clipped in place
     * @param maxNorm the bound
     * @param normType the norm
     * @return the coefficient that was applied
     */
    protected final NDArray clipByNorm(List<NDArray> grads, float maxNorm, float normType) {
        NDArray total = ops().totalNorm(grads, normType);
        NDArray coef = manager.create(maxNorm).div(total.add(EPS)).minimum(1f);
        ops().scaleInPlace(grads, coef);
        return coef;
    }

    /**
     * Creates the tensors in the test's manager, skipping the test where the engine cannot hold the
     * type.
     *
     * @param tensors the host values
     * @param dataType the type of the arrays
     * @return one array per tensor
     */
    protected final List<NDArray> create(List<HostTensor> tensors, DataType dataType) {
        if (dataType == DataType.FLOAT16) {
            requireFloat16();
        }
        return HostTensor.toNDArrays(tensors, manager, dataType);
    }

    /** Skips the running test where the engine cannot hold float16 arrays. */
    protected final void requireFloat16() {
        if (!supportsFloat16()) {
            throw new SkipException(engineName() + " cannot hold float16 arrays");
        }
    }

    /**
     * Returns a fraction in [0.05, 0.95) that depends on the seed: how far below the norm to clip.
     *
     * @param seed the seed
     * @return the fraction
     */
    protected static double fraction(long seed) {
        return 0.05 + 0.9 * ((seed * 0x9E3779B97F4A7C15L >>> 11) / (double) (1L << 53));
    }

    /**
     * Returns three small tensors of ranks 1 to 3 whose values are exact in float16.
     *
     * @return new tensors, free to modify
     */
    protected static List<HostTensor> threeTensors() {
        List<HostTensor> out = new ArrayList<>();
        out.add(new HostTensor(new long[] {3}, new float[] {0.5f, -1.25f, 2f}));
        out.add(new HostTensor(new long[] {2, 2}, new float[] {-0.75f, 4f, 1.5f, -2.5f}));
        out.add(new HostTensor(new long[] {1, 2, 2}, new float[] {3f, -0.25f, 6f, 1f}));
        return out;
    }
}
