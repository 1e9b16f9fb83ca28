package io.gradguard.it;

import static org.testng.Assert.assertEquals;
import static org.testng.Assert.assertFalse;
import static org.testng.Assert.assertTrue;
import static org.testng.Assert.expectThrows;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.util.NativeResource;
import io.gradguard.clip.GradientClipping;
import io.gradguard.scale.LossScaler;
import java.lang.reflect.Constructor;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import org.testng.annotations.DataProvider;
import org.testng.annotations.Test;

/**
 * Bad gradient lists handed to the functional API ({@link GradientClipping} and the loss scaler's
 * unscale) on one engine: each gets an {@link IllegalArgumentException} naming the index, before
 * any operation on the arrays, which stay open and unchanged.
 */
public abstract class BadInputFunctionalKit {

    /** Returns the engine name to test. */
    protected abstract String engineName();

    /** Returns the name of another engine, for lists that mix engines. */
    protected abstract String otherEngineName();

    /** Each entry point of the functional API that takes a gradient list. */
    @DataProvider
    public Object[][] entryPoints() {
        List<Object[]> rows = new ArrayList<>();
        rows.add(entry("clipGradNorm", g -> GradientClipping.clipGradNorm(g, 1e-3f)));
        rows.add(
                entry(
                        "clipGradNorm(errorIfNonFinite)",
                        g -> GradientClipping.clipGradNorm(g, 1e-3f, 2f, true)));
        rows.add(entry("clipGradValue", g -> GradientClipping.clipGradValue(g, 1e-3f)));
        rows.add(entry("totalNorm", g -> GradientClipping.totalNorm(g, 2f)));
        rows.add(entry("unscale", g -> LossScaler.fixed(4f).unscale(g)));
        return rows.toArray(Object[][]::new);
    }

    private static Object[] entry(String name, Consumer<List<NDArray>> call) {
        return new Object[] {name, call};
    }

    @Test(dataProvider = "entryPoints")
    public void float64IntAndBooleanGradientsAreRejectedBeforeAnyNativeCall(
            String entry, Consumer<List<NDArray>> call) {
        try (NDManager m = NDManager.newBaseManager(Device.cpu(), engineName())) {
            NDArray good = m.create(new float[] {3f, 4f});
            List<NDArray> bad =
                    List.of(
                            m.create(new double[] {30, 40}),
                            m.create(new int[] {30, 40}),
                            m.create(new boolean[] {true, false}));
            for (NDArray wrong : bad) {
                DataType dataType = wrong.getDataType();
                String what = entry + " with " + dataType;
                float[] goodBefore = good.toFloatArray();
                String wrongBefore = wrong.toDebugString(true);
                int arrays = m.getManagedArrays().size();
                CallRecorder recorder = new CallRecorder();
                List<NDArray> grads = List.of(recorder.wrap(good), recorder.wrap(wrong));
                IllegalArgumentException e =
                        expectThrows(IllegalArgumentException.class, () -> call.accept(grads));
                assertTrue(e.getMessage().contains("grads[1]"), what + ": " + e.getMessage());
                assertTrue(e.getMessage().contains(dataType.toString()), e.getMessage());
                assertTrue(e.getMessage().contains("float32 or float16"), e.getMessage());
                assertEquals(recorder.operations(), List.of(), what + ": " + recorder.calls());
                assertEquals(m.getManagedArrays().size(), arrays, what + ": no array created");
                assertEquals(good.toFloatArray(), goodBefore, what);
                assertEquals(wrong.toDebugString(true), wrongBefore, what);
            }
        }
    }

    @Test(dataProvider = "entryPoints")
    public void theSameArrayTwiceIsRejectedAndStaysOpen(
            String entry, Consumer<List<NDArray>> call) {
        try (NDManager m = NDManager.newBaseManager(Device.cpu(), engineName())) {
            NDArray a = m.create(new float[] {3f, 4f});
            NDArray b = m.create(new float[] {12f});
            IllegalArgumentException e =
                    expectThrows(
                            IllegalArgumentException.class, () -> call.accept(List.of(a, b, a)));
            assertTrue(e.getMessage().contains("grads[0] and grads[2]"), e.getMessage());
            assertFalse(a.isReleased(), entry + ": the repeated array is still open");
            assertEquals(a.toFloatArray(), new float[] {3f, 4f}, entry + ": not scaled");
            assertEquals(b.toFloatArray(), new float[] {12f}, entry);
        }
    }

    /** Two Java wrappers of one native array (same handle) are the same gradient. */
    @Test
    public void twoWrappersOfOneNativeHandleAreRejected() throws ReflectiveOperationException {
        try (NDManager m = NDManager.newBaseManager(Device.cpu(), engineName())) {
            NDArray a = m.create(new float[] {3f, 4f});
            NDArray twin = twinOf(a);
            // The twin must never be closed: that would free the native array a second time.
            twin.detach();
            IllegalArgumentException e =
                    expectThrows(
                            IllegalArgumentException.class,
                            () -> GradientClipping.clipGradNorm(List.of(a, twin), 1e-3f));
            assertTrue(e.getMessage().contains("grads[0] and grads[1]"), e.getMessage());
            assertTrue(e.getMessage().contains("native handle"), e.getMessage());
            assertEquals(a.toFloatArray(), new float[] {3f, 4f});
        }
    }

    @Test
    public void arraysOfTwoEnginesAreRejectedNamingBoth() {
        try (NDManager m = NDManager.newBaseManager(Device.cpu(), engineName());
                NDManager other = NDManager.newBaseManager(Device.cpu(), otherEngineName())) {
            NDArray mine = m.create(new float[] {3f, 4f});
            NDArray theirs = other.create(new float[] {12f});
            for (List<NDArray> grads : List.of(List.of(mine, theirs), List.of(theirs, mine))) {
                IllegalArgumentException e =
                        expectThrows(
                                IllegalArgumentException.class,
                                () -> GradientClipping.clipGradNorm(grads, 1e-3f));
                assertTrue(e.getMessage().contains("grads[1]"), e.getMessage());
                assertTrue(e.getMessage().contains(engineName()), e.getMessage());
                assertTrue(e.getMessage().contains(otherEngineName()), e.getMessage());
            }
            assertEquals(mine.toFloatArray(), new float[] {3f, 4f});
            assertEquals(theirs.toFloatArray(), new float[] {12f});
        }
    }

    /** Returns a second Java wrapper of {@code array}'s native handle, in the same manager. */
    private static NDArray twinOf(NDArray array) throws ReflectiveOperationException {
        Object handle = ((NativeResource<?>) array).getHandle();
        for (Constructor<?> c : array.getClass().getDeclaredConstructors()) {
            Class<?>[] types = c.getParameterTypes();
            boolean fits =
                    types.length == 2
                            && types[0].isInstance(array.getManager())
                            && (types[1].isInstance(handle)
                                    || (types[1] == long.class && handle instanceof Long));
            if (fits) {
                c.setAccessible(true);
                return (NDArray) c.newInstance(array.getManager(), handle);
            }
        }
        throw new AssertionError("no (manager, handle) constructor in " + array.getClass());
    }
}
