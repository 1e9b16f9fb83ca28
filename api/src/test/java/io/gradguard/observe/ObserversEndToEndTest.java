package io.gradguard.observe;

import static org.testng.Assert.assertEquals;
import static org.testng.Assert.assertNotNull;
import static org.testng.Assert.assertTrue;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.core.Linear;
import ai.djl.training.DefaultTrainingConfig;
import ai.djl.training.EasyTrain;
import ai.djl.training.Trainer;
import ai.djl.training.dataset.ArrayDataset;
import ai.djl.training.dataset.RandomAccessDataset;
import ai.djl.training.dataset.Sampler;
import ai.djl.training.loss.Loss;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.Tracker;
import ai.djl.translate.TranslateException;
import io.gradguard.ClipStatistics;
import io.gradguard.ClippingTrainingListener;
import io.gradguard.GradGuard;
import io.gradguard.clip.ClipStrategy;
import io.gradguard.event.AlertEvent;
import io.gradguard.event.GuardEventPublisher;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Random;
import javax.imageio.ImageIO;
import org.testng.annotations.Test;

/**
 * Observers under {@code EasyTrain.fit} on the PyTorch engine: a dataset with one example whose
 * label is huge, trained for two epochs in two different orders, is found by spike forensics
 * through DJL's {@code Batch.getIndices()}; an event consumer that throws does not stop training.
 */
public class ObserversEndToEndTest {

    private static final int SAMPLES = 32;
    private static final int FEATURES = 4;
    private static final int BATCH = 4;
    private static final long BAD = 13;

    /** Epoch 0: batches [0..3], [4..7], ...; epoch 1: batch b holds {b, b + 8, b + 16, b + 24}. */
    private static final class TwoOrders implements Sampler {
        private int epoch;

        @Override
        public Iterator<List<Long>> sample(RandomAccessDataset dataset) {
            List<List<Long>> batches = new ArrayList<>();
            for (int b = 0; b < SAMPLES / BATCH; b++) {
                List<Long> indices = new ArrayList<>();
                for (int j = 0; j < BATCH; j++) {
                    indices.add(epoch == 0 ? (long) b * BATCH + j : b + 8L * j);
                }
                batches.add(indices);
            }
            epoch++;
            return batches.iterator();
        }

        @Override
        public int getBatchSize() {
            return BATCH;
        }
    }

    @Test
    public void forensicsFindsThePlantedExampleAndThrowingConsumersAreContained()
            throws IOException, TranslateException {
        Path dir = Files.createTempDirectory("gradguard-e2e");
        List<AlertEvent> alerts = new ArrayList<>();
        int[] clippedEvents = new int[1];
        GuardEventPublisher events =
                new GuardEventPublisher()
                        .onEvent(
                                e -> {
                                    throw new IllegalStateException("a consumer bug");
                                })
                        .onClipped(e -> clippedEvents[0]++)
                        .onAlert(alerts::add);
        SpikeForensics forensics =
                SpikeForensics.builder().optWarmup(3).optTopK(2).optPublisher(events).build();
        ClipRateMonitor monitor =
                ClipRateMonitor.builder().optWindow(4).optPublisher(events).build();
        ClipStrategy strategy = ClipStrategy.globalNorm(1f);
        ClippingTrainingListener guard =
                ClippingTrainingListener.builder()
                        .setStrategy(strategy)
                        .optObserver(events)
                        .optObserver(monitor)
                        .optObserver(forensics)
                        .optObserver(new JsonLinesReportWriter(dir.resolve("steps.jsonl")))
                        .optObserver(
                                NormChart.builder()
                                        .setOutput(dir.resolve("norms.png"))
                                        .optSize(400, 300)
                                        .optThreshold(strategy)
                                        .build())
                        .build();
        ClipStatistics statistics;
        try (NDManager data = NDManager.newBaseManager(Device.cpu(), "PyTorch");
                Model model = Model.newInstance("observers-e2e", Device.cpu(), "PyTorch")) {
            model.setBlock(new SequentialBlock().add(Linear.builder().setUnits(1).build()));
            Random random = new Random(3);
            float[] x = new float[SAMPLES * FEATURES];
            float[] y = new float[SAMPLES];
            float[] w = {1f, -2f, 0.5f, 3f};
            for (int i = 0; i < SAMPLES; i++) {
                for (int j = 0; j < FEATURES; j++) {
                    x[i * FEATURES + j] = (float) random.nextGaussian();
                    y[i] += x[i * FEATURES + j] * w[j];
                }
            }
            y[(int) BAD] = 1e4f; // the bad label: its batch's gradient is ~1000x the others'
            ArrayDataset dataset =
                    new ArrayDataset.Builder()
                            .setData(data.create(x, new Shape(SAMPLES, FEATURES)))
                            .optLabels(data.create(y, new Shape(SAMPLES, 1)))
                            .setSampling(new TwoOrders())
                            .build();
            DefaultTrainingConfig config =
                    GradGuard.trainingConfig(
                            Loss.l2Loss(),
                            Optimizer.sgd().setLearningRateTracker(Tracker.fixed(0.01f)).build(),
                            guard);
            // Seeded initial weights (DJL's default initializer draws from an unseeded engine
            // generator), so every run trains the same numbers.
            Random init = new Random(5);
            config.optInitializer(
                    (manager, shape, dataType) -> {
                        float[] values = new float[(int) shape.size()];
                        for (int i = 0; i < values.length; i++) {
                            values[i] = (float) (init.nextGaussian() * 0.5);
                        }
                        return manager.create(values, shape).toType(dataType, false);
                    },
                    parameter -> true);
            try (Trainer trainer = model.newTrainer(config)) {
                trainer.initialize(new Shape(BATCH, FEATURES));
                EasyTrain.fit(trainer, 2, dataset, null);
                statistics = guard.getStatistics();
            }
        }
        assertEquals(statistics.steps(), 16);
        assertEquals(clippedEvents[0], statistics.clippedSteps(), "events despite the thrower");

        SpikeSummary summary = forensics.summary();
        // Epoch 0: 13 is in batch 3 (step 3); epoch 1: in batch 5 with 5, 21, 29 (step 13).
        assertEquals(summary.spikes().stream().map(Spike::step).toList(), List.of(3L, 13L));
        assertEquals(summary.spikes().get(0).datasetIndices(), List.of(12L, 13L, 14L, 15L));
        assertEquals(summary.spikes().get(1).datasetIndices(), List.of(5L, 13L, 21L, 29L));
        assertEquals(summary.recurringIndices(), List.of(BAD));
        assertTrue(summary.causes().contains(io.gradguard.observe.SpikeCause.DATA));
        assertEquals(summary.spikes().get(0).topParameters().size(), 2);
        assertTrue(
                summary.spikes().get(0).topParameters().get(0).name().contains("weight"),
                summary.spikes().get(0).toString());

        // Every step is clipped at max norm 1: one clip-rate episode, from the first full window.
        assertEquals(monitor.episodes(), 1);
        List<AlertEvent> rate =
                alerts.stream().filter(a -> a.kind() == AlertEvent.Kind.CLIP_RATE).toList();
        assertEquals(rate.size(), 1);
        assertEquals(rate.get(0).step(), 3);
        assertEquals(
                alerts.stream().filter(a -> a.kind() == AlertEvent.Kind.RECURRING_SPIKE).count(),
                1);

        List<String> lines = Files.readAllLines(dir.resolve("steps.jsonl"), StandardCharsets.UTF_8);
        assertEquals(lines.size(), 16);
        assertTrue(lines.get(15).startsWith("{\"step\":15,\"epoch\":1,\"batchIndex\":7,"));
        assertNotNull(ImageIO.read(dir.resolve("norms.png").toFile()));
        assertNotNull(ImageIO.read(dir.resolve("norms-histogram.png").toFile()));
    }
}
