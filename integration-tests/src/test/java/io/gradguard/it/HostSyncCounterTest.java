package io.gradguard.it;

import static org.testng.Assert.assertEquals;
import static org.testng.Assert.assertFalse;
import static org.testng.Assert.assertSame;
import static org.testng.Assert.assertTrue;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.internal.NDArrayEx;
import io.gradguard.spi.GradientOps;
import java.lang.reflect.Method;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.testng.annotations.DataProvider;
import org.testng.annotations.Test;

/**
 * The instrument of the host-sync tests, {@link HostSyncCounter}, tested on its own: it must see
 * every read it claims to see, follow derived arrays, stay out of the engines' way, and tell its
 * own conversions apart from reads. Without these the zero-read results would prove nothing.
 */
public class HostSyncCounterTest {

    /**
     * Supplies test parameters.
     *
     * @return the engines
     */
    @DataProvider
    public Object[][] engines() {
        return new Object[][] {{"PyTorch"}, {"MXNet"}};
    }

    /**
     * Each read method called on a wrapper counts once; metadata does not count.
     *
     * @param engine the engine
     */
    @Test(dataProvider = "engines")
    public void readsOfAWrapperAreCounted(String engine) {
        HostSyncCounter counter = new HostSyncCounter();
        try (NDManager manager = NDManager.newBaseManager(Device.cpu(), engine)) {
            NDArray w = counter.wrap(manager.create(new float[] {3f, 4f}));
            assertEquals(w.getShape().size(), 2);
            assertEquals(w.getDataType(), ai.djl.ndarray.types.DataType.FLOAT32);
            assertEquals(counter.reads(), 0, "metadata is not a read");
            assertEquals(w.getFloat(1), 4f);
            assertEquals(counter.reads(), 1);
            assertEquals(w.toFloatArray(), new float[] {3f, 4f});
            assertEquals(counter.reads(), 2);
            assertEquals(w.toArray().length, 2);
            assertEquals(counter.reads(), 3);
            assertFalse(w.toString().isEmpty());
            assertEquals(counter.reads(), 4);
            assertEquals(counter.conversions(), 0);
        }
    }

    /**
     * Arrays computed from a wrapper are wrappers; an in-place operation returns the same one.
     *
     * @param engine the engine
     */
    @Test(dataProvider = "engines")
    public void derivedArraysAreCounted(String engine) {
        HostSyncCounter counter = new HostSyncCounter();
        try (NDManager manager = NDManager.newBaseManager(Device.cpu(), engine)) {
            NDArray w = counter.wrap(manager.create(new float[] {3f, 4f}));
            NDArray norm = w.mul(2f).square().sum().sqrt();
            assertTrue(HostSyncCounter.isWrapped(norm));
            assertSame(w.muli(1f), w);
            assertEquals(counter.reads(), 0);
            assertEquals(norm.getFloat(), 10f, 1e-6f); // sqrt(6^2 + 8^2)
            assertEquals(counter.reads(), 1);
        }
    }

    /**
     * {@code NDArrays.stack} and {@code concat} go through {@link NDArrayEx}, which is wrapped as
     * well: the engine sees real arrays, nothing is copied through the host.
     *
     * @param engine the engine
     */
    @Test(dataProvider = "engines")
    public void stackAndConcatStayOnTheDevice(String engine) {
        HostSyncCounter counter = new HostSyncCounter();
        try (NDManager manager = NDManager.newBaseManager(Device.cpu(), engine)) {
            NDArray a = counter.wrap(manager.create(1f));
            NDArray b = counter.wrap(manager.create(2f));
            NDArray stacked = NDArrays.stack(new NDList(a, b));
            NDArray joined = stacked.concat(counter.wrap(manager.create(new float[] {3f})));
            assertTrue(HostSyncCounter.isWrapped(stacked));
            assertTrue(HostSyncCounter.isWrapped(joined));
            assertEquals(counter.conversions(), 0);
            assertEquals(counter.reads(), 0);
            assertEquals(joined.toFloatArray(), new float[] {1f, 2f, 3f});
            assertEquals(counter.reads(), 1);
        }
    }

    /**
     * A wrapper handed to a real array of its own engine is converted by {@code NDManager.from}
     * through the host: counted as a conversion, not as a read, and the result is right.
     *
     * @param engine the engine
     */
    @Test(dataProvider = "engines")
    public void aWrapperHandedToARealArrayIsAConversion(String engine) {
        HostSyncCounter counter = new HostSyncCounter();
        try (NDManager manager = NDManager.newBaseManager(Device.cpu(), engine)) {
            NDArray real = manager.create(10f);
            NDArray quotient = real.div(counter.wrap(manager.create(4f)));
            assertFalse(HostSyncCounter.isWrapped(quotient));
            assertEquals(counter.conversions(), 1, counter.log().toString());
            assertEquals(counter.reads(), 0, counter.log().toString());
            assertEquals(quotient.getFloat(), 2.5f);
        }
    }

    /** A wrapper handed to an array of another engine is a real read: the values cross the host. */
    @Test
    public void aConversionIntoAnotherEngineIsARead() {
        HostSyncCounter counter = new HostSyncCounter();
        try (NDManager pt = NDManager.newBaseManager(Device.cpu(), "PyTorch");
                NDManager mx = NDManager.newBaseManager(Device.cpu(), "MXNet")) {
            NDArray sum = mx.create(1f).add(counter.wrap(pt.create(2f)));
            assertEquals(counter.reads(), 1, counter.log().toString());
            assertEquals(counter.conversions(), 0);
            assertEquals(sum.getFloat(), 3f);
        }
    }

    /**
     * Every {@link NDArray} method that returns something other than arrays is classified, as a
     * read or as metadata; anything DJL adds later is counted as a read until classified.
     */
    @Test
    public void everyNonArrayMethodIsClassified() {
        Set<String> unclassified = new TreeSet<>();
        for (Method m : NDArray.class.getMethods()) {
            Class<?> type = m.getReturnType();
            boolean arrays =
                    NDArray.class.isAssignableFrom(type)
                            || NDList.class.isAssignableFrom(type)
                            || NDArrayEx.class.isAssignableFrom(type);
            if (type != void.class
                    && !arrays
                    && !HostSyncCounter.READS.contains(m.getName())
                    && !HostSyncCounter.METADATA.contains(m.getName())) {
                unclassified.add(m.getName() + " -> " + type.getSimpleName());
            }
        }
        assertEquals(unclassified, Set.of());
    }

    /**
     * The counting ops hand real arrays to the engine's implementation and wrap its results.
     *
     * @param engine the engine
     */
    @Test(dataProvider = "engines")
    public void countingOpsUnwrapAtTheBoundary(String engine) {
        HostSyncCounter counter = new HostSyncCounter();
        for (GradientOps real :
                List.of(GradientOps.forEngine(Engine.getEngine(engine)), GradientOps.generic())) {
            GradientOps ops = new HostSyncCountingOps(real, counter);
            try (NDManager manager = NDManager.newBaseManager(Device.cpu(), engine)) {
                List<NDArray> grads =
                        counter.wrapAll(
                                List.of(
                                        manager.create(new float[] {3f, 0f}),
                                        manager.create(new float[] {4f})));
                NDArray total = ops.totalNorm(grads, 2f);
                ops.scaleInPlace(grads, counter.wrap(manager.create(0.5f)));
                assertTrue(HostSyncCounter.isWrapped(total));
                assertEquals(counter.reads(), 0, real.name() + ": " + counter.log());
                assertEquals(counter.conversions(), 0, real.name() + ": " + counter.log());
                assertEquals(total.getFloat(), 5f, 1e-6f, real.name());
                assertEquals(grads.get(1).getFloat(0), 2f, real.name());
                assertEquals(counter.reads(), 2);
            }
            counter = new HostSyncCounter();
        }
    }
}
