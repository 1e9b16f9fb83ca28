package io.gradguard;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.training.GradientCollector;
import ai.djl.training.Trainer;
import ai.djl.training.dataset.Batch;
import ai.djl.training.dataset.Dataset;
import ai.djl.training.listener.TrainingListener.BatchData;
import ai.djl.translate.TranslateException;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.Consumer;

/**
 * DJL's {@code EasyTrain} loop with its multi-threaded path fixed, and a step helper for custom
 * loops.
 *
 * <p>When a trainer has several devices and an executor service, DJL 0.35.1's {@code
 * EasyTrain.trainBatch} runs each device's split (forward, loss, backward) as a {@code
 * CompletableFuture} and never waits for them: it closes the gradient collector and calls the
 * listeners' {@code onTrainingBatch} while backward may still be running, and an exception thrown
 * in a split is lost. A guard that measures or clips gradients then sees half-finished ones. {@link
 * #trainBatch} does the same work but waits for every split before closing the collector and before
 * any listener runs, and rethrows the first failure after all splits have ended.
 *
 * <p>Two DJL 0.35.1 limits remain whichever loop is used: every CPU id is the same {@code Device}
 * (so a trainer cannot list two CPUs), and MXNet records autograd on the calling thread only, so
 * splits run on executor threads leave MXNet's gradients at zero.
 *
 * <pre>{@code
 * GuardedTraining.fit(trainer, epochs, trainSet, validateSet);     // instead of EasyTrain.fit
 *
 * for (Batch batch : trainer.iterateDataset(trainSet)) {           // a custom loop
 *     GuardedTraining.trainBatch(trainer, batch);
 *     boolean updated = GuardedTraining.step(trainer, guard);
 *     batch.close();
 * }
 * }</pre>
 */
public final class GuardedTraining {

    private GuardedTraining() {}

    /**
     * Trains for {@code numEpoch} epochs as {@code EasyTrain.fit} does (per batch {@link
     * #trainBatch} then {@code Trainer.step()}; per epoch validation, then the listeners' {@code
     * onEpoch}), with every split joined.
     *
     * @param trainer the trainer
     * @param numEpoch the number of epochs, {@code >= 0}
     * @param trainingDataset the data to train on
     * @param validateDataset the data to validate on after each epoch, or null
     * @throws IOException if the dataset cannot be read
     * @throws TranslateException if a batch cannot be prepared
     * @throws IllegalArgumentException if {@code numEpoch < 0}
     */
    public static void fit(
            Trainer trainer, int numEpoch, Dataset trainingDataset, Dataset validateDataset)
            throws IOException, TranslateException {
        Objects.requireNonNull(trainer, "trainer");
        Objects.requireNonNull(trainingDataset, "trainingDataset");
        if (numEpoch < 0) {
            throw new IllegalArgumentException("numEpoch must be >= 0, got " + numEpoch);
        }
        for (int epoch = 0; epoch < numEpoch; epoch++) {
            for (Batch batch : trainer.iterateDataset(trainingDataset)) {
                try {
                    trainBatch(trainer, batch);
                    trainer.step();
                } finally {
                    batch.close();
                }
            }
            evaluateDataset(trainer, validateDataset);
            trainer.notifyListeners(listener -> listener.onEpoch(trainer));
        }
    }

    /**
     * Runs forward, loss and backward on one batch, split over the trainer's devices (on its
     * executor service when it has one and there are several splits), waits for every split, then
     * calls the listeners' {@code onTrainingBatch}. Does not step the optimizer.
     *
     * @param trainer the trainer
     * @param batch the batch, on the trainer's engine
     * @throws IllegalArgumentException if the batch is on another engine than the trainer
     * @throws RuntimeException the first exception a split threw, after every split has ended; the
     *     listeners are not called then
     */
    public static void trainBatch(Trainer trainer, Batch batch) {
        checkEngine(trainer, batch);
        Batch[] splits = batch.split(trainer.getDevices(), false);
        BatchData data = new BatchData(batch, new ConcurrentHashMap<>(), new ConcurrentHashMap<>());
        try (GradientCollector collector = trainer.newGradientCollector()) {
            runAll(trainer, splits, split -> trainSplit(trainer, collector, data, split));
        }
        trainer.notifyListeners(listener -> listener.onTrainingBatch(trainer, data));
    }

    /**
     * Evaluates one batch without gradients, as {@code EasyTrain.validateBatch}, waiting for every
     * split before calling the listeners' {@code onValidationBatch}.
     *
     * @param trainer the trainer
     * @param batch the batch, on the trainer's engine
     * @throws IllegalArgumentException if the batch is on another engine than the trainer
     */
    public static void validateBatch(Trainer trainer, Batch batch) {
        checkEngine(trainer, batch);
        Batch[] splits = batch.split(trainer.getDevices(), false);
        BatchData data = new BatchData(batch, new ConcurrentHashMap<>(), new ConcurrentHashMap<>());
        runAll(trainer, splits, split -> validateSplit(trainer, data, split));
        trainer.notifyListeners(listener -> listener.onValidationBatch(trainer, data));
    }

    /**
     * Validates a whole dataset with {@link #validateBatch}; nothing when it is null.
     *
     * @param trainer the trainer
     * @param dataset the data, or null
     * @throws IOException if the dataset cannot be read
     * @throws TranslateException if a batch cannot be prepared
     */
    public static void evaluateDataset(Trainer trainer, Dataset dataset)
            throws IOException, TranslateException {
        if (dataset == null) {
            return;
        }
        for (Batch batch : trainer.iterateDataset(dataset)) {
            try {
                validateBatch(trainer, batch);
            } finally {
                batch.close();
            }
        }
    }

    /**
     * Calls {@code trainer.step()} and returns whether it updated the weights: {@code false} for an
     * accumulation micro-batch that only held its gradients and for a step skipped on non-finite
     * gradients. Call it after {@link #trainBatch}.
     *
     * @param trainer the trainer
     * @param listener the guard installed on {@code trainer}
     * @return whether the optimizer applied an update
     */
    public static boolean step(Trainer trainer, ClippingTrainingListener listener) {
        Objects.requireNonNull(trainer, "trainer");
        Objects.requireNonNull(listener, "listener");
        boolean applied = listener.isPendingStepApplied();
        trainer.step();
        return applied;
    }

    /** Runs the work on every split: in parallel when the trainer allows, always to the end. */
    private static void runAll(Trainer trainer, Batch[] splits, Consumer<Batch> work) {
        Optional<ExecutorService> executor = trainer.getExecutorService();
        if (splits.length < 2 || executor.isEmpty()) {
            for (Batch split : splits) {
                work.accept(split);
            }
            return;
        }
        List<CompletableFuture<Void>> futures = new ArrayList<>(splits.length);
        RuntimeException rejected = null;
        for (Batch split : splits) {
            try {
                futures.add(CompletableFuture.runAsync(() -> work.accept(split), executor.get()));
            } catch (RejectedExecutionException e) {
                rejected = e;
                break;
            }
        }
        try {
            // allOf completes only when every split has ended, normally or not.
            CompletableFuture.allOf(futures.toArray(new CompletableFuture<?>[0])).join();
        } catch (CompletionException e) {
            throw firstFailure(futures);
        }
        if (rejected != null) {
            throw rejected;
        }
    }

    /** Returns the failure of the first failed split, with the later ones suppressed. */
    private static RuntimeException firstFailure(List<CompletableFuture<Void>> futures) {
        RuntimeException first = null;
        for (CompletableFuture<Void> future : futures) {
            Throwable cause;
            try {
                future.join();
                continue;
            } catch (CompletionException e) {
                cause = e.getCause() == null ? e : e.getCause();
            } catch (CancellationException e) {
                cause = e;
            }
            if (cause instanceof Error error) {
                throw error;
            }
            if (first == null) {
                first =
                        cause instanceof RuntimeException runtime
                                ? runtime
                                : new IllegalStateException("A training split failed", cause);
            } else if (first != cause) {
                first.addSuppressed(cause);
            }
        }
        return first != null ? first : new IllegalStateException("A training split failed");
    }

    private static void trainSplit(
            Trainer trainer, GradientCollector collector, BatchData data, Batch split) {
        NDList inputs = split.getData();
        NDList labels = split.getLabels();
        NDList predictions = trainer.forward(inputs, labels);
        long begin = System.nanoTime();
        NDArray loss = trainer.getLoss().evaluate(labels, predictions);
        collector.backward(loss);
        trainer.addMetric("backward", begin);
        begin = System.nanoTime();
        data.getLabels().put(labels.get(0).getDevice(), labels);
        data.getPredictions().put(predictions.get(0).getDevice(), predictions);
        trainer.addMetric("training-metrics", begin);
    }

    private static void validateSplit(Trainer trainer, BatchData data, Batch split) {
        NDList labels = split.getLabels();
        NDList predictions = trainer.evaluate(split.getData());
        data.getLabels().put(labels.get(0).getDevice(), labels);
        data.getPredictions().put(predictions.get(0).getDevice(), predictions);
    }

    private static void checkEngine(Trainer trainer, Batch batch) {
        Objects.requireNonNull(trainer, "trainer");
        Objects.requireNonNull(batch, "batch");
        if (trainer.getManager().getEngine() != batch.getManager().getEngine()) {
            throw new IllegalArgumentException(
                    "batch is on engine "
                            + batch.getManager().getEngine().getEngineName()
                            + " but the trainer on "
                            + trainer.getManager().getEngine().getEngineName()
                            + "; create the batch with the trainer's NDManager");
        }
    }
}
