package io.gradguard.observe;

import static org.testng.Assert.assertEquals;
import static org.testng.Assert.assertTrue;

import io.gradguard.StepDetails;
import io.gradguard.StepObserver;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.lang.reflect.InvocationTargetException;
import java.nio.file.Path;
import org.testng.annotations.Test;

/**
 * XChart is an optional dependency: with it hidden from the class path, the other observers work
 * and a chart fails at build time with the coordinates to add.
 */
public class WithoutXChartTest {

    /** Defines this package's classes itself and refuses every XChart class. */
    private static final class HidingLoader extends ClassLoader {

        HidingLoader(ClassLoader parent) {
            super(parent);
        }

        @Override
        protected Class<?> loadClass(String name, boolean resolve) throws ClassNotFoundException {
            synchronized (getClassLoadingLock(name)) {
                if (name.startsWith("org.knowm.")) {
                    throw new ClassNotFoundException(name + " is hidden");
                }
                if (!name.startsWith("io.gradguard.observe.")) {
                    return super.loadClass(name, resolve);
                }
                Class<?> loaded = findLoadedClass(name);
                if (loaded != null) {
                    return loaded;
                }
                String resource = name.replace('.', '/') + ".class";
                try (InputStream in = getParent().getResourceAsStream(resource)) {
                    if (in == null) {
                        throw new ClassNotFoundException(name);
                    }
                    byte[] bytes = in.readAllBytes();
                    return defineClass(name, bytes, 0, bytes.length);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }
        }
    }

    @Test
    public void observersWorkAndChartsFailClearly() throws ReflectiveOperationException {
        ClassLoader loader = new HidingLoader(WithoutXChartTest.class.getClassLoader());
        Class<?> monitorType = loader.loadClass(ClipRateMonitor.class.getName());
        assertTrue(monitorType != ClipRateMonitor.class, "loaded apart from the test's copy");
        StepObserver monitor = (StepObserver) monitorType.getMethod("ofDefaults").invoke(null);
        StepDetails none = FakeDetails.none();
        for (int step = 0; step < 100; step++) {
            monitor.onStep(FakeDetails.report(step, 0, step, 1f, true), none);
        }
        assertEquals(monitorType.getMethod("episodes").invoke(monitor), 1L);

        Class<?> chartType = loader.loadClass(NormChart.class.getName());
        Object builder = chartType.getMethod("builder").invoke(null);
        builder.getClass().getMethod("setOutput", Path.class).invoke(builder, Path.of("x.png"));
        InvocationTargetException e =
                org.testng.Assert.expectThrows(
                        InvocationTargetException.class,
                        () -> builder.getClass().getMethod("build").invoke(builder));
        assertTrue(e.getCause() instanceof IllegalStateException, String.valueOf(e.getCause()));
        assertTrue(
                e.getCause().getMessage().contains("org.knowm.xchart:xchart"),
                e.getCause().getMessage());
    }
}
