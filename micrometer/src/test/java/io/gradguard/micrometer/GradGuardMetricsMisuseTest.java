package io.gradguard.micrometer;

import static org.testng.Assert.assertEquals;
import static org.testng.Assert.assertTrue;
import static org.testng.Assert.expectThrows;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.List;
import org.testng.annotations.Test;

/**
 * Bad arguments and misuse: each fails at once with an exception that names the argument and the
 * value, before anything is registered.
 */
public class GradGuardMetricsMisuseTest {

    private static void assertMessage(RuntimeException e, String... parts) {
        for (String part : parts) {
            assertTrue(e.getMessage().contains(part), "\"" + e.getMessage() + "\" lacks " + part);
        }
    }

    @Test
    public void aNullOrBlankNameIsRefused() {
        assertMessage(
                expectThrows(NullPointerException.class, () -> GradGuardMetrics.of(null)), "name");
        for (String blank : new String[] {"", "  ", "\t\n"}) {
            assertMessage(
                    expectThrows(IllegalArgumentException.class, () -> GradGuardMetrics.of(blank)),
                    "name must not be blank",
                    "\"" + blank + "\"");
        }
    }

    @Test
    public void aMissingNameIsRefusedAtBuild() {
        assertMessage(
                expectThrows(IllegalStateException.class, () -> GradGuardMetrics.builder().build()),
                "setName");
    }

    @Test
    public void aNullRegistryIsRefused() {
        assertMessage(
                expectThrows(
                        NullPointerException.class, () -> GradGuardMetrics.of("g").bindTo(null)),
                "registry");
    }

    @Test
    public void tagsThatGradGuardSetsAreRefused() {
        for (String key : new String[] {"guard", "kind"}) {
            assertMessage(
                    expectThrows(
                            IllegalArgumentException.class,
                            () -> GradGuardMetrics.builder().optTags(Tags.of(key, "x"))),
                    "\"" + key + "\"");
        }
        List<Tag> none = null;
        assertMessage(
                expectThrows(
                        NullPointerException.class, () -> GradGuardMetrics.builder().optTags(none)),
                "tags");
    }

    @Test
    public void percentilesOutsideZeroToOneAreRefused() {
        for (double p : new double[] {-0.1, 1.5, Double.NaN}) {
            assertMessage(
                    expectThrows(
                            IllegalArgumentException.class,
                            () -> GradGuardMetrics.builder().optPercentiles(0.5, p)),
                    "percentiles must be in [0, 1]",
                    String.valueOf(p));
        }
    }

    @Test
    public void bucketsThatAreNotFinitePositiveAreRefused() {
        for (double b : new double[] {0, -1, Double.NaN, Double.POSITIVE_INFINITY}) {
            assertMessage(
                    expectThrows(
                            IllegalArgumentException.class,
                            () -> GradGuardMetrics.builder().optBuckets(1, b)),
                    "boundaries must be finite and > 0",
                    String.valueOf(b));
        }
    }

    @Test
    public void windowsOutsideTheRangeAreRefused() {
        for (int w : new int[] {0, -5, GradGuardMetricsBuilder.MAX_WINDOW + 1}) {
            assertMessage(
                    expectThrows(
                            IllegalArgumentException.class,
                            () -> GradGuardMetrics.builder().optClipRateWindow(w)),
                    "window must be in [1, 1000000]",
                    String.valueOf(w));
        }
    }

    @Test
    public void aStatisticsWindowThatIsNotPositiveIsRefused() {
        for (Duration d : new Duration[] {Duration.ZERO, Duration.ofSeconds(-1)}) {
            assertMessage(
                    expectThrows(
                            IllegalArgumentException.class,
                            () -> GradGuardMetrics.builder().optStatisticsWindow(d)),
                    "window must be positive",
                    d.toString());
        }
        assertMessage(
                expectThrows(
                        NullPointerException.class,
                        () -> GradGuardMetrics.builder().optStatisticsWindow(null)),
                "window");
    }

    @Test
    public void bindingOneRegistryTwiceIsRefused() {
        MeterRegistry registry = new SimpleMeterRegistry();
        GradGuardMetrics metrics = GradGuardMetrics.of("g");
        metrics.bindTo(registry);
        int meters = registry.getMeters().size();
        assertMessage(
                expectThrows(IllegalStateException.class, () -> metrics.bindTo(registry)),
                "already bound");
        assertEquals(registry.getMeters().size(), meters);
    }

    @Test
    public void twoGuardsWithOneNameInOneRegistryAreRefused() {
        MeterRegistry registry = new SimpleMeterRegistry();
        GradGuardMetrics.of("g").bindTo(registry);
        int meters = registry.getMeters().size();
        assertMessage(
                expectThrows(
                        IllegalArgumentException.class,
                        () -> GradGuardMetrics.of("g").bindTo(registry)),
                "guard=g",
                "own name");
        assertEquals(registry.getMeters().size(), meters);
        // Another name, or the same name with other tags, is another guard.
        GradGuardMetrics.of("h").bindTo(registry);
        GradGuardMetrics.builder()
                .setName("g")
                .optTags(Tags.of("engine", "mxnet"))
                .build()
                .bindTo(registry);
    }

    @Test
    public void aNullAlertIsRefused() {
        assertMessage(
                expectThrows(
                        NullPointerException.class,
                        () -> GradGuardMetrics.of("g").recordAlert(null)),
                "alert");
    }
}
