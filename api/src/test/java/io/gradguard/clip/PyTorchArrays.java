package io.gradguard.clip;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import org.testng.annotations.AfterClass;
import org.testng.annotations.BeforeClass;

/** A base for tests on PyTorch CPU arrays: one manager per test class, closed after it. */
public abstract class PyTorchArrays {

    /** The class's PyTorch CPU manager; each test works in a sub-manager of it. */
    protected NDManager manager;

    /** Opens {@link #manager}. */
    @BeforeClass
    public void openManager() {
        manager = NDManager.newBaseManager(Device.cpu(), "PyTorch");
    }

    /** Closes {@link #manager}. */
    @AfterClass
    public void closeManager() {
        manager.close();
    }
}
