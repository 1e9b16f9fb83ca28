package io.gradguard.mxnet;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import org.testng.annotations.AfterClass;
import org.testng.annotations.AfterMethod;
import org.testng.annotations.BeforeClass;
import org.testng.annotations.BeforeMethod;

/**
 * An MXNet manager per test class, a sub-manager per test (closed after it, freeing everything the
 * test created), and the fused ops under test.
 */
abstract class MxOpsTestBase {

    protected NDManager base;
    protected NDManager step;
    protected MxGradientOps ops;

    @BeforeClass
    public void setUpEngine() {
        base = NDManager.newBaseManager(Device.cpu(), "MXNet");
        ops = new MxGradientOps();
    }

    @AfterClass
    public void tearDownEngine() {
        base.close();
    }

    @BeforeMethod
    public void openStep() {
        step = base.newSubManager();
    }

    @AfterMethod
    public void closeStep() {
        step.close();
    }
}
