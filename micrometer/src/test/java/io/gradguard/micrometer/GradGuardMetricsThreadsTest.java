package io.gradguard.micrometer;

import static org.testng.Assert.assertTrue;

import io.gradguard.StepReport;
import io.gradguard.event.AlertEvent;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.testng.annotations.Test;

/**
 * Steps arrive on training threads while another thread scrapes: every scrape sees consistent
 * values, and no step or alert is lost.
 */
public class GradGuardMetricsThreadsTest {

    private static final int WRITERS = 2;
    private static final int STEPS_PER_WRITER = 50_000;
    private static final int ALERTS = 1_000;
    private static final String G = "{guard=\"g\"}";

    @Test
    public void concurrentStepsAlertsAndScrapesLoseNothing() throws Exception {
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        GradGuardMetrics metrics =
                GradGuardMetrics.builder().setName("g").optClipRateWindow(1000).build();
        metrics.bindTo(registry);
        AtomicBoolean done = new AtomicBoolean();
        ExecutorService pool = Executors.newFixedThreadPool(WRITERS + 2);
        try {
            List<Future<?>> writers = new ArrayList<>();
            for (int w = 0; w < WRITERS; w++) {
                float scale = 1 << (w + 4);
                writers.add(
                        pool.submit(
                                () -> {
                                    for (int i = 0; i < STEPS_PER_WRITER; i++) {
                                        // Every step clipped: whatever the interleaving, the
                                        // window holds only clipped steps.
                                        metrics.onStep(
                                                new StepReport(
                                                        i, 0, i, 2f, 0.5f, true, scale, false,
                                                        false, 1),
                                                null);
                                    }
                                }));
            }
            writers.add(
                    pool.submit(
                            () -> {
                                for (int i = 0; i < ALERTS; i++) {
                                    metrics.recordAlert(
                                            new AlertEvent(
                                                    i, AlertEvent.Kind.SPIKE, 9, 3, "spike"));
                                }
                            }));
            Future<Integer> reader =
                    pool.submit(
                            () -> {
                                int scrapes = 0;
                                double lastSteps = 0;
                                while (!done.get() || scrapes == 0) {
                                    PrometheusText scrape = new PrometheusText(registry.scrape());
                                    double steps = scrape.value("gradguard_steps_total" + G);
                                    assertTrue(steps >= lastSteps, steps + " after " + lastSteps);
                                    lastSteps = steps;
                                    double rate = scrape.value("gradguard_clip_rate" + G);
                                    assertTrue(
                                            Double.isNaN(rate) && steps == 0 || rate == 1.0,
                                            "clip rate " + rate);
                                    double scale = scrape.value("gradguard_loss_scale" + G);
                                    assertTrue(
                                            Double.isNaN(scale) || scale == 16 || scale == 32,
                                            "loss scale " + scale);
                                    scrapes++;
                                }
                                return scrapes;
                            });
            for (Future<?> writer : writers) {
                writer.get(60, TimeUnit.SECONDS);
            }
            done.set(true);
            assertTrue(reader.get(60, TimeUnit.SECONDS) > 0);
        } finally {
            pool.shutdownNow();
        }
        PrometheusText scrape = new PrometheusText(registry.scrape());
        double steps = (double) WRITERS * STEPS_PER_WRITER;
        scrape.assertValue("gradguard_steps_total" + G, steps, 0);
        scrape.assertValue("gradguard_steps_clipped_total" + G, steps, 0);
        scrape.assertValue("gradguard_gradient_norm_count" + G, steps, 0);
        scrape.assertValue("gradguard_gradient_norm_sum" + G, 2 * steps, 0);
        scrape.assertValue("gradguard_clip_rate" + G, 1.0, 0);
        scrape.assertValue("gradguard_alerts_total{guard=\"g\",kind=\"spike\"}", ALERTS, 0);
    }
}
