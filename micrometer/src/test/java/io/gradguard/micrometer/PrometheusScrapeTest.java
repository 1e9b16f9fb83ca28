package io.gradguard.micrometer;

import static org.testng.Assert.assertEquals;
import static org.testng.Assert.assertTrue;
import static org.testng.Assert.expectThrows;

import io.micrometer.core.instrument.Tags;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.testng.annotations.Test;

/**
 * {@link GradGuardMetrics} as Prometheus scrapes it: Micrometer's dot names become Prometheus names
 * (counters with {@code _total}), with the declared types and the hand-worked values of {@link
 * SyntheticSteps}; and {@link PrometheusScrape#write} puts that text into a file.
 */
public class PrometheusScrapeTest {

    private static final String G = "{engine=\"pytorch\",guard=\"g\"}";

    private static PrometheusMeterRegistry fedRegistry(double... buckets) {
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        GradGuardMetrics metrics =
                GradGuardMetrics.builder()
                        .setName("g")
                        .optTags(Tags.of("engine", "pytorch"))
                        .optBuckets(buckets)
                        .build();
        metrics.bindTo(registry);
        SyntheticSteps.feed(metrics);
        return registry;
    }

    private static String alerts(String kind) {
        return "gradguard_alerts_total{engine=\"pytorch\",guard=\"g\",kind=\"" + kind + "\"}";
    }

    @Test
    public void theScrapeNamesTypesAndValuesFollowPrometheusConventions() {
        PrometheusText scrape = new PrometheusText(fedRegistry().scrape());

        scrape.assertType("gradguard_steps_total", "counter");
        scrape.assertType("gradguard_steps_clipped_total", "counter");
        scrape.assertType("gradguard_steps_skipped_total", "counter");
        scrape.assertType("gradguard_steps_nonfinite_total", "counter");
        scrape.assertType("gradguard_alerts_total", "counter");
        scrape.assertType("gradguard_loss_scale", "gauge");
        scrape.assertType("gradguard_clip_rate", "gauge");
        scrape.assertType("gradguard_gradient_norm", "summary");
        scrape.assertType("gradguard_gradient_norm_max", "gauge");

        scrape.assertValue("gradguard_steps_total" + G, SyntheticSteps.STEPS, 0);
        scrape.assertValue("gradguard_steps_clipped_total" + G, SyntheticSteps.CLIPPED, 0);
        scrape.assertValue("gradguard_steps_skipped_total" + G, SyntheticSteps.SKIPPED, 0);
        scrape.assertValue("gradguard_steps_nonfinite_total" + G, SyntheticSteps.NON_FINITE, 0);
        scrape.assertValue("gradguard_loss_scale" + G, SyntheticSteps.LOSS_SCALE, 0);
        scrape.assertValue("gradguard_clip_rate" + G, SyntheticSteps.CLIP_RATE, 1e-12);
        scrape.assertValue("gradguard_gradient_norm_count" + G, SyntheticSteps.NORM_COUNT, 0);
        scrape.assertValue("gradguard_gradient_norm_sum" + G, SyntheticSteps.NORM_SUM, 1e-12);
        scrape.assertValue("gradguard_gradient_norm_max" + G, SyntheticSteps.NORM_MAX, 0);
        scrape.assertValue(alerts("clip_rate"), SyntheticSteps.CLIP_RATE_ALERTS, 0);
        scrape.assertValue(alerts("spike"), SyntheticSteps.SPIKE_ALERTS, 0);
        scrape.assertValue(alerts("recurring_spike"), 0, 0);
        scrape.assertValue(alerts("loss_scale_floor"), 0, 0);
        // The summary's quantiles: present, and within the finite norms' range.
        for (String q : List.of("0.5", "0.95", "0.99")) {
            double value =
                    scrape.value(
                            "gradguard_gradient_norm{engine=\"pytorch\",guard=\"g\",quantile=\""
                                    + q
                                    + "\"}");
            assertTrue(value >= 0.25 * 0.9 && value <= 4 * 1.1, q + ": " + value);
        }
    }

    @Test
    public void withBucketsTheNormIsAPrometheusHistogram() {
        PrometheusText scrape = new PrometheusText(fedRegistry(SyntheticSteps.BUCKETS).scrape());
        scrape.assertType("gradguard_gradient_norm", "histogram");
        String bucket = "gradguard_gradient_norm_bucket{engine=\"pytorch\",guard=\"g\",le=";
        scrape.assertValue(bucket + "\"1.0\"}", SyntheticSteps.AT_OR_BELOW_1, 0);
        scrape.assertValue(bucket + "\"2.5\"}", SyntheticSteps.AT_OR_BELOW_2_5, 0);
        scrape.assertValue(bucket + "\"+Inf\"}", SyntheticSteps.NORM_COUNT, 0);
        scrape.assertValue("gradguard_gradient_norm_count" + G, SyntheticSteps.NORM_COUNT, 0);
    }

    @Test
    public void writeReplacesTheFileWithTheScrapeAndLeavesNoTemporaryFile() throws IOException {
        PrometheusMeterRegistry registry = fedRegistry();
        Path dir = Files.createTempDirectory("gradguard-scrape");
        Path file = dir.resolve("gradguard.prom");
        Files.writeString(file, "old content");

        String written = PrometheusScrape.write(registry, file);

        String content = Files.readString(file, StandardCharsets.UTF_8);
        assertEquals(content, written);
        assertEquals(content, registry.scrape());
        assertTrue(content.contains("gradguard_steps_total" + G + " 6"), content);
        try (Stream<Path> files = Files.list(dir)) {
            assertEquals(files.toList(), List.of(file));
        }
    }

    @Test
    public void aFileThatCannotBeWrittenIsNamedAndLeftAsItWas() throws IOException {
        Path dir = Files.createTempDirectory("gradguard-scrape");
        Path missing = dir.resolve("no-such-dir").resolve("gradguard.prom");
        IOException e =
                expectThrows(
                        IOException.class, () -> PrometheusScrape.write(fedRegistry(), missing));
        assertTrue(e.getMessage().contains(missing.toString()), e.getMessage());

        // A directory in the way: the rename fails, the directory stays, no temporary is left.
        Path occupied = dir.resolve("occupied");
        Files.createDirectory(occupied);
        Files.writeString(occupied.resolve("inside"), "x");
        e = expectThrows(IOException.class, () -> PrometheusScrape.write(fedRegistry(), occupied));
        assertTrue(e.getMessage().contains(occupied.toString()), e.getMessage());
        assertTrue(Files.isDirectory(occupied));
        try (Stream<Path> files = Files.list(dir)) {
            assertEquals(files.toList(), List.of(occupied));
        }
    }

    @Test
    public void nullArgumentsAreRefused() {
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        assertTrue(
                expectThrows(
                                NullPointerException.class,
                                () -> PrometheusScrape.write(null, Path.of("x")))
                        .getMessage()
                        .contains("registry"));
        assertTrue(
                expectThrows(
                                NullPointerException.class,
                                () -> PrometheusScrape.write(registry, null))
                        .getMessage()
                        .contains("file"));
    }
}
