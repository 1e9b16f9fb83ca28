package io.gradguard.micrometer;

import static org.testng.Assert.assertEquals;
import static org.testng.Assert.assertTrue;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.core.Linear;
import ai.djl.training.DefaultTrainingConfig;
import ai.djl.training.EasyTrain;
import ai.djl.training.Trainer;
import ai.djl.training.dataset.ArrayDataset;
import ai.djl.training.loss.Loss;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.Tracker;
import ai.djl.translate.TranslateException;
import io.gradguard.ClippingTrainingListener;
import io.gradguard.GradGuard;
import io.gradguard.StepReport;
import io.gradguard.clip.ClipStrategy;
import io.gradguard.event.AlertEvent;
import io.gradguard.event.GuardEventPublisher;
import io.gradguard.observe.ClipRateMonitor;
import io.gradguard.scale.LossScaler;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.testng.annotations.Test;

/**
 * A short guarded training run on the PyTorch engine, its metrics bound to a Prometheus registry
 * and a simple registry at once. The expected values are computed from the step reports the guard
 * handed to a recording observer and from the alerts the monitor published: the meters must
 * aggregate exactly what the guard reported. The run is built so that every path is taken: a loss
 * scale far too large makes the first steps overflow (skipped, scale backed off), a low threshold
 * clips, and the clip-rate monitor alerts.
 */
public class GuardedTrainingMetricsPyTorchTest {

    private static final String ENGINE = "PyTorch";
    private static final int SAMPLES = 64;
    private static final int FEATURES = 8;
    private static final int BATCH = 16;
    private static final int EPOCHS = 8;
    private static final float INITIAL_SCALE = 0x1p125f;
    private static final String G = "{engine=\"pytorch\",guard=\"tiny\"}";

    @Test
    public void theScrapeOfARealRunMatchesTheGuardsReports()
            throws IOException, TranslateException {
        List<StepReport> reports = new ArrayList<>();
        List<AlertEvent> alerts = new ArrayList<>();
        GradGuardMetrics metrics =
                GradGuardMetrics.builder()
                        .setName("tiny")
                        .optTags(Tags.of("engine", "pytorch"))
                        .build();
        PrometheusMeterRegistry prometheus = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        MeterRegistry simple = new SimpleMeterRegistry();
        metrics.bindTo(prometheus);
        metrics.bindTo(simple);
        GuardEventPublisher events =
                new GuardEventPublisher().onAlert(alerts::add).onAlert(metrics::recordAlert);
        ClippingTrainingListener guard =
                ClippingTrainingListener.builder()
                        .setStrategy(ClipStrategy.globalNorm(1f))
                        .optLossScaler(
                                LossScaler.dynamicBuilder()
                                        .optInitialScale(INITIAL_SCALE)
                                        .optGrowthInterval(1000)
                                        .build())
                        .optObserver((report, details) -> reports.add(report))
                        .optObserver(
                                ClipRateMonitor.builder().optWindow(4).optPublisher(events).build())
                        .optObserver(metrics)
                        .build();
        train(guard);

        // The run took every path.
        long skipped = reports.stream().filter(StepReport::skipped).count();
        long clipped = reports.stream().filter(r -> r.clipped() && !r.skipped()).count();
        assertEquals(reports.size(), EPOCHS * SAMPLES / BATCH);
        assertTrue(skipped > 0, "no overflow at scale 2^125");
        assertTrue(clipped > 0, "nothing clipped at 1");
        assertTrue(!alerts.isEmpty(), "no alert");
        float lastScale = reports.get(reports.size() - 1).lossScale();
        assertTrue(lastScale < INITIAL_SCALE, "scale never backed off: " + lastScale);

        double[] norms =
                reports.stream()
                        .mapToDouble(StepReport::totalNorm)
                        .filter(Double::isFinite)
                        .toArray();
        long nonFinite = reports.stream().filter(StepReport::nonFinite).count();
        long clipRateAlerts =
                alerts.stream().filter(a -> a.kind() == AlertEvent.Kind.CLIP_RATE).count();

        PrometheusText scrape = new PrometheusText(prometheus.scrape());
        scrape.assertValue("gradguard_steps_total" + G, reports.size(), 0);
        scrape.assertValue("gradguard_steps_clipped_total" + G, clipped, 0);
        scrape.assertValue("gradguard_steps_skipped_total" + G, skipped, 0);
        scrape.assertValue("gradguard_steps_nonfinite_total" + G, nonFinite, 0);
        scrape.assertValue("gradguard_loss_scale" + G, lastScale, 0);
        // Fewer steps than the window of 100: the rate over all of them.
        scrape.assertValue("gradguard_clip_rate" + G, (double) clipped / reports.size(), 1e-12);
        scrape.assertValue("gradguard_gradient_norm_count" + G, norms.length, 0);
        double sum = 0;
        double max = 0;
        for (double norm : norms) {
            sum += norm;
            max = Math.max(max, norm);
        }
        scrape.assertValue("gradguard_gradient_norm_sum" + G, sum, sum * 1e-12);
        scrape.assertValue("gradguard_gradient_norm_max" + G, max, 0);
        scrape.assertValue(
                "gradguard_alerts_total{engine=\"pytorch\",guard=\"tiny\",kind=\"clip_rate\"}",
                clipRateAlerts,
                0);

        // The other registry counted the same steps.
        assertEquals(simple.get(GradGuardMetrics.STEPS).counter().count(), (double) reports.size());
        assertEquals(simple.get(GradGuardMetrics.SKIPPED).counter().count(), (double) skipped);

        // And the final scrape, as a file.
        Path file = Files.createTempDirectory("gradguard-run").resolve("gradguard.prom");
        String written = PrometheusScrape.write(prometheus, file);
        assertEquals(Files.readString(file), written);
        assertTrue(written.contains("gradguard_steps_total" + G), written);
    }

    /**
     * An 8-16-1 MLP on 64 seeded examples whose every batch holds one target 50 times the others,
     * trained with SGD for {@value #EPOCHS} epochs of 4 steps.
     */
    private static void train(ClippingTrainingListener guard)
            throws IOException, TranslateException {
        try (NDManager data = NDManager.newBaseManager(Device.cpu(), ENGINE);
                Model model = Model.newInstance("micrometer-run", Device.cpu(), ENGINE)) {
            model.setBlock(
                    new SequentialBlock()
                            .add(Linear.builder().setUnits(16).build())
                            .add(Activation::relu)
                            .add(Linear.builder().setUnits(1).build()));
            Random random = new Random(11);
            float[] x = new float[SAMPLES * FEATURES];
            float[] y = new float[SAMPLES];
            for (int i = 0; i < SAMPLES; i++) {
                for (int j = 0; j < FEATURES; j++) {
                    x[i * FEATURES + j] = (float) random.nextGaussian();
                    y[i] += x[i * FEATURES + j] * (j - 3.5f);
                }
                if (i % BATCH == 0) {
                    y[i] *= 50;
                }
            }
            ArrayDataset dataset =
                    new ArrayDataset.Builder()
                            .setData(data.create(x, new Shape(SAMPLES, FEATURES)))
                            .optLabels(data.create(y, new Shape(SAMPLES, 1)))
                            .setSampling(BATCH, false)
                            .build();
            DefaultTrainingConfig config =
                    GradGuard.trainingConfig(
                            Loss.l2Loss(),
                            Optimizer.sgd().setLearningRateTracker(Tracker.fixed(0.01f)).build(),
                            guard);
            Random init = new Random(5);
            config.optInitializer(
                    (manager, shape, dataType) -> {
                        float[] values = new float[(int) shape.size()];
                        for (int i = 0; i < values.length; i++) {
                            values[i] = (float) (init.nextGaussian() * 0.3);
                        }
                        return manager.create(values, shape).toType(dataType, false);
                    },
                    parameter -> true);
            try (Trainer trainer = model.newTrainer(config)) {
                trainer.initialize(new Shape(BATCH, FEATURES));
                EasyTrain.fit(trainer, EPOCHS, dataset, null);
            }
        }
    }
}
