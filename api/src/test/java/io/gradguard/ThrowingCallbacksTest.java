package io.gradguard;

import static org.testng.Assert.assertEquals;
import static org.testng.Assert.expectThrows;

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
import ai.djl.training.loss.Loss;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.Tracker;
import io.gradguard.clip.ClipStrategy;
import io.gradguard.event.GuardEventPublisher;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;
import org.testng.annotations.DataProvider;
import org.testng.annotations.Test;

/**
 * User callbacks that throw: the report consumer, a step observer (at every step, epoch end and
 * training end) and an event consumer. Anything but a {@link VirtualMachineError} is logged and
 * training goes on, with the other observers and consumers receiving every step; a {@link
 * VirtualMachineError} propagates out of training. PyTorch engine, 8 samples in batches of 2 for 2
 * epochs: 8 optimizer steps, each clipped (threshold 1e-4, far below any norm).
 */
public class ThrowingCallbacksTest {

    private static final int STEPS = 8;

    /** A throwable of each kind that must not stop training. */
    @DataProvider
    public Object[][] contained() {
        return new Object[][] {
            {(Supplier<Throwable>) () -> new AssertionError("an assertion in user code")},
            {(Supplier<Throwable>) () -> new IOException("a checked exception, thrown sneakily")},
            {(Supplier<Throwable>) () -> new IllegalStateException("a runtime exception")},
        };
    }

    @Test(dataProvider = "contained")
    public void trainingGoesOnAndTheOthersSeeEveryStep(Supplier<Throwable> failure)
            throws Exception {
        Throwing thrower = new Throwing(failure);
        Counting counting = new Counting();
        List<Long> events = new ArrayList<>();
        GuardEventPublisher publisher =
                new GuardEventPublisher()
                        .onEvent(e -> thrower.fail())
                        .onClipped(e -> events.add(e.step()));
        ClippingTrainingListener guard =
                ClippingTrainingListener.builder()
                        .setStrategy(ClipStrategy.globalNorm(1e-4f))
                        .optReportConsumer(r -> thrower.fail())
                        .optObserver(thrower)
                        .optObserver(publisher)
                        .optObserver(counting)
                        .build();
        train(guard);
        List<Long> all = List.of(0L, 1L, 2L, 3L, 4L, 5L, 6L, 7L);
        assertEquals(guard.getStatistics().steps(), STEPS);
        assertEquals(counting.steps, all, "the observer after the thrower saw every step");
        assertEquals(counting.epochs, List.of(0, 1));
        assertEquals(counting.trainingEnds, 1);
        assertEquals(events, all, "the event consumer after the thrower saw every step");
        // Per step: the consumer, the observer and the event consumer; then 2 epoch ends and 1
        // training end of the observer.
        assertEquals(thrower.calls, 3 * STEPS + 2 + 1);
    }

    /** Where a virtual machine error is thrown from. */
    @DataProvider
    public Object[][] fatal() {
        return new Object[][] {{"consumer"}, {"observer"}, {"event"}};
    }

    @Test(dataProvider = "fatal")
    public void aVirtualMachineErrorPropagates(String where) {
        Throwing oom = new Throwing(() -> new OutOfMemoryError("simulated"));
        Throwing overflow = new Throwing(() -> new StackOverflowError("simulated"));
        ClippingTrainingListenerBuilder builder =
                ClippingTrainingListener.builder().setStrategy(ClipStrategy.globalNorm(1e-4f));
        Class<? extends Throwable> expected;
        switch (where) {
            case "consumer" -> {
                builder.optReportConsumer(r -> oom.fail());
                expected = OutOfMemoryError.class;
            }
            case "observer" -> {
                builder.optObserver(overflow);
                expected = StackOverflowError.class;
            }
            default -> {
                builder.optObserver(new GuardEventPublisher().onEvent(e -> oom.fail()));
                expected = OutOfMemoryError.class;
            }
        }
        ClippingTrainingListener guard = builder.build();
        expectThrows(expected, () -> train(guard));
        // The first step's callback threw; closing the trainer may still end the observers.
        assertEquals(oom.calls + overflow.stepCalls, 1, "training stopped at the first step");
    }

    private static void train(ClippingTrainingListener guard) throws Exception {
        try (NDManager data = NDManager.newBaseManager(Device.cpu(), "PyTorch");
                Model model = Model.newInstance("throwing-callbacks", Device.cpu(), "PyTorch")) {
            model.setBlock(new SequentialBlock().add(Linear.builder().setUnits(1).build()));
            float[] x = new float[STEPS * 2 * 3];
            float[] y = new float[STEPS];
            for (int i = 0; i < x.length; i++) {
                x[i] = (i % 7) - 3f;
            }
            for (int i = 0; i < y.length; i++) {
                y[i] = i + 1f;
            }
            ArrayDataset dataset =
                    new ArrayDataset.Builder()
                            .setData(data.create(x, new Shape(STEPS, 6)))
                            .optLabels(data.create(y, new Shape(STEPS, 1)))
                            .setSampling(2, false)
                            .build();
            DefaultTrainingConfig config =
                    GradGuard.trainingConfig(
                            Loss.l2Loss(),
                            Optimizer.sgd().setLearningRateTracker(Tracker.fixed(0.01f)).build(),
                            guard);
            try (Trainer trainer = model.newTrainer(config)) {
                trainer.initialize(new Shape(2, 6));
                EasyTrain.fit(trainer, 2, dataset, null);
            }
        }
    }

    /** Throws a new throwable from the supplier at every call, checked ones undeclared. */
    private static final class Throwing implements StepObserver {
        private final Supplier<Throwable> failure;
        private int calls;
        private int stepCalls;

        Throwing(Supplier<Throwable> failure) {
            this.failure = failure;
        }

        void fail() {
            calls++;
            Throwing.<RuntimeException>sneaky(failure.get());
        }

        @SuppressWarnings("unchecked")
        private static <T extends Throwable> void sneaky(Throwable t) throws T {
            throw (T) t;
        }

        @Override
        public void onStep(StepReport report, StepDetails details) {
            stepCalls++;
            fail();
        }

        @Override
        public void onEpochEnd(int epoch) {
            fail();
        }

        @Override
        public void onTrainingEnd() {
            fail();
        }
    }

    /** Records what it receives. */
    private static final class Counting implements StepObserver {
        private final List<Long> steps = new ArrayList<>();
        private final List<Integer> epochs = new ArrayList<>();
        private int trainingEnds;

        @Override
        public void onStep(StepReport report, StepDetails details) {
            steps.add(report.step());
        }

        @Override
        public void onEpochEnd(int epoch) {
            epochs.add(epoch);
        }

        @Override
        public void onTrainingEnd() {
            trainingEnds++;
        }
    }
}
