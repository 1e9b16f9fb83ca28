package io.gradguard.it;

import static org.testng.Assert.assertEquals;
import static org.testng.Assert.assertNotEquals;
import static org.testng.Assert.assertSame;
import static org.testng.Assert.assertTrue;
import static org.testng.Assert.expectThrows;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;
import ai.djl.training.DefaultTrainingConfig;
import ai.djl.training.EasyTrain;
import ai.djl.training.Trainer;
import ai.djl.training.dataset.Batch;
import ai.djl.training.listener.TrainingListenerAdapter;
import ai.djl.training.loss.Loss;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.Tracker;
import ai.djl.util.Pair;
import io.gradguard.GuardedTraining;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.testng.annotations.Test;

/**
 * {@link GuardedTraining#trainBatch} against DJL's multi-threaded {@code EasyTrain.trainBatch}, on
 * the PyTorch engine.
 *
 * <p>DJL cannot train on several CPU devices: {@code Device.of("cpu", 1)} is the same device as
 * {@code Device.cpu()} (CPU ids are ignored in {@code Device.equals}), so a trainer with {@code
 * {cpu(0), cpu(1)}} fails with "Duplicated devices are not allowed". The multi-threaded path is
 * reached here with a {@link Trainer} whose {@code getDevices()} reports the CPU twice: DJL then
 * splits each batch in two and runs both halves (forward, loss, backward) on the trainer's
 * executor, accumulating into the same gradients, exactly as on two devices. The listener that
 * stands for the guard snapshots the gradients in {@code onTrainingBatch}. (The guard itself is not
 * installed: with a device listed twice, its per-device reduction would add the same gradient to
 * itself.)
 *
 * <p>On MXNet this path cannot work at all in DJL 0.35.1 with either loop: autograd recording is
 * per thread and only the calling thread records, so the worker threads' backward leaves the
 * gradients at zero (measured: the first {@code Trainer.step()} throws "Gradient values are all
 * zeros").
 */
public class GuardedTrainingThreadsTest {

    private static final int BATCHES = 8;

    /** A trainer that reports the CPU twice, so that DJL splits every batch in two. */
    private static Trainer twoSplitTrainer(Model model, DefaultTrainingConfig config) {
        return new Trainer(model, config) {
            @Override
            public Device[] getDevices() {
                return new Device[] {Device.cpu(), Device.cpu()};
            }
        };
    }

    /** Snapshots every parameter's gradient when the listeners are told backward is done. */
    private static final class GradientRecorder extends TrainingListenerAdapter {
        final List<List<float[]>> snapshots = new ArrayList<>();
        Runnable after = () -> {};

        @Override
        public void onTrainingBatch(Trainer trainer, BatchData batchData) {
            snapshots.add(gradients(trainer));
            after.run();
        }
    }

    static List<float[]> gradients(Trainer trainer) {
        List<float[]> out = new ArrayList<>();
        for (Pair<String, Parameter> p : trainer.getModel().getBlock().getParameters()) {
            try (NDArray grad = p.getValue().getArray().getGradient()) {
                out.add(grad.toFloatArray());
            }
        }
        return out;
    }

    /** A loss that runs a hook before computing, on whichever thread evaluates it. */
    private static Loss hooked(Runnable hook) {
        Loss inner = Loss.l2Loss();
        return new Loss(inner.getName()) {
            @Override
            public NDArray evaluate(NDList labels, NDList predictions) {
                hook.run();
                return inner.evaluate(labels, predictions);
            }
        };
    }

    private static Optimizer sgd() {
        return Optimizer.sgd().setLearningRateTracker(Tracker.fixed(0.01f)).build();
    }

    /** Trains BATCHES batches split in two, threaded or not, and returns the snapshots. */
    private static List<List<float[]>> train(boolean threaded, Runnable lossHook) {
        GradientRecorder recorder = new GradientRecorder();
        ExecutorService executor = Executors.newFixedThreadPool(2);
        try (TinyRegression problem = new TinyRegression("PyTorch", 71)) {
            DefaultTrainingConfig config =
                    new DefaultTrainingConfig(hooked(lossHook))
                            .optOptimizer(sgd())
                            .addTrainingListeners(recorder);
            if (threaded) {
                config.optExecutorService(executor);
            }
            try (Trainer trainer =
                            problem.newTrainer(
                                    config, 71, GuardedTrainingThreadsTest::twoSplitTrainer);
                    NDManager manager = trainer.getManager().newSubManager()) {
                List<Batch> batches = problem.explicitBatches(manager, TinyRegression.BATCH, 2);
                for (Batch batch : batches.subList(0, BATCHES)) {
                    GuardedTraining.trainBatch(trainer, batch);
                    trainer.step();
                }
                recorder.snapshots.add(problem.weights());
            }
        } finally {
            executor.shutdownNow();
        }
        return recorder.snapshots;
    }

    @Test
    public void listenersSeeEveryFinishedSplitWithGuardedTraining() {
        // Each split sleeps before its forward pass, so an unjoined loop would call the listener
        // long before backward. Joined, every snapshot equals the sequential run's, bit for bit.
        List<List<float[]>> threaded = train(true, () -> sleep(20));
        List<List<float[]>> sequential = train(false, () -> {});
        assertEquals(threaded.size(), BATCHES + 1);
        for (int i = 0; i < threaded.size(); i++) {
            ClippingEndToEndKit.assertBitIdentical(threaded.get(i), sequential.get(i));
        }
        for (float[] g : sequential.get(0)) {
            for (float v : g) {
                if (v != 0f) {
                    return; // the comparison was about real gradients
                }
            }
        }
        throw new AssertionError("the first batch's gradients should not all be zero");
    }

    @Test
    public void easyTrainCallsListenersBeforeBackward() throws InterruptedException {
        // Deterministic: the splits cannot pass their loss until the listener has run.
        List<float[]> complete = train(false, () -> {}).get(0);
        CountDownLatch listenerRan = new CountDownLatch(1);
        GradientRecorder recorder = new GradientRecorder();
        recorder.after = listenerRan::countDown;
        ExecutorService executor = Executors.newFixedThreadPool(2);
        Loss waiting = hooked(() -> await(listenerRan));
        try (TinyRegression problem = new TinyRegression("PyTorch", 71)) {
            DefaultTrainingConfig config =
                    new DefaultTrainingConfig(waiting)
                            .optOptimizer(sgd())
                            .optExecutorService(executor)
                            .addTrainingListeners(recorder);
            try (Trainer trainer =
                            problem.newTrainer(
                                    config, 71, GuardedTrainingThreadsTest::twoSplitTrainer);
                    NDManager manager = trainer.getManager().newSubManager()) {
                Batch batch = problem.explicitBatches(manager, TinyRegression.BATCH, 1).get(0);
                EasyTrain.trainBatch(trainer, batch);
                executor.shutdown();
                assertTrue(executor.awaitTermination(30, TimeUnit.SECONDS));
                List<float[]> seen = recorder.snapshots.get(0);
                for (float[] g : seen) {
                    for (float v : g) {
                        assertEquals(v, 0f, "the listener ran before any backward");
                    }
                }
                // The backward passes did run, after the listener: too late for a guard.
                ClippingEndToEndKit.assertBitIdentical(gradients(trainer), complete);
            }
        } finally {
            executor.shutdownNow();
        }
    }

    @Test
    public void aFailedSplitIsRethrownAfterEverySplitEnded() throws InterruptedException {
        AtomicInteger calls = new AtomicInteger();
        IllegalStateException boom = new IllegalStateException("boom");
        Loss failing =
                hooked(
                        () -> {
                            if (calls.getAndIncrement() == 0) {
                                throw boom;
                            }
                            sleep(200);
                        });
        for (boolean guarded : new boolean[] {true, false}) {
            calls.set(0);
            GradientRecorder recorder = new GradientRecorder();
            ExecutorService executor = Executors.newFixedThreadPool(2);
            try (TinyRegression problem = new TinyRegression("PyTorch", 71)) {
                DefaultTrainingConfig config =
                        new DefaultTrainingConfig(failing)
                                .optOptimizer(sgd())
                                .optExecutorService(executor)
                                .addTrainingListeners(recorder);
                try (Trainer trainer =
                                problem.newTrainer(
                                        config, 71, GuardedTrainingThreadsTest::twoSplitTrainer);
                        NDManager manager = trainer.getManager().newSubManager()) {
                    Batch batch = problem.explicitBatches(manager, TinyRegression.BATCH, 1).get(0);
                    if (guarded) {
                        IllegalStateException e =
                                expectThrows(
                                        IllegalStateException.class,
                                        () -> GuardedTraining.trainBatch(trainer, batch));
                        assertSame(e, boom);
                        assertEquals(recorder.snapshots.size(), 0, "no listener after a failure");
                        // The other split (200 ms) had finished its backward before the throw.
                        assertNotEquals(sum(gradients(trainer)), 0.0);
                    } else {
                        EasyTrain.trainBatch(trainer, batch); // the failure is lost
                        assertEquals(recorder.snapshots.size(), 1);
                    }
                    // EasyTrain returns while the second split may still run: let it end before
                    // the trainer closes, so that nothing of it reaches later tests.
                    executor.shutdown();
                    assertTrue(
                            executor.awaitTermination(30, TimeUnit.SECONDS), "every split ended");
                }
                assertTrue(executor.isTerminated());
            } finally {
                executor.shutdownNow();
            }
        }
    }

    static double sum(List<float[]> arrays) {
        double s = 0;
        for (float[] a : arrays) {
            for (float v : a) {
                s += Math.abs(v);
            }
        }
        return s;
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static void await(CountDownLatch latch) {
        try {
            if (!latch.await(30, TimeUnit.SECONDS)) {
                throw new IllegalStateException("the listener never ran");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
