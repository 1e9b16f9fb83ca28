package io.gradguard.event;

import io.gradguard.StepDetails;
import io.gradguard.StepObserver;
import io.gradguard.StepReport;
import io.gradguard.internal.UserCallbacks;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns step reports into {@link GuardEvent}s and hands them to typed consumers.
 *
 * <pre>{@code
 * GuardEventPublisher events = new GuardEventPublisher()
 *         .onClipped(e -> log.debug("{}", e))
 *         .onSkipped(e -> skips.increment())
 *         .onAlert(e -> pager.send(e.message()));
 * ClippingTrainingListener.builder()...optObserver(events)...
 * }</pre>
 *
 * <p>Per step, in this order: an {@link OverflowEvent} when a non-finite gradient was found with a
 * finite loss (a non-finite loss is a data fault, reported by {@code StepReport.dataFault()}), a
 * {@link SkippedEvent} when the update was skipped, a {@link ClippedEvent} when the strategy
 * changed the gradient of an applied step (a skipped step never counts as clipped). Monitors
 * publish {@link AlertEvent}s through {@link #publish(GuardEvent)}.
 *
 * <p>Consumers run on the publishing (training) thread, in registration order. Whatever a consumer
 * throws, an {@link Error} or an undeclared checked exception included, is logged at WARN naming
 * the consumer and skipped; the other consumers and training go on. Only a {@link
 * VirtualMachineError} (such as {@link OutOfMemoryError}) propagates. Registration is thread-safe.
 */
public final class GuardEventPublisher implements StepObserver {

    private static final Logger logger = LoggerFactory.getLogger(GuardEventPublisher.class);

    private final List<Subscription<?>> subscriptions = new CopyOnWriteArrayList<>();

    /** Creates a publisher with no consumers. */
    public GuardEventPublisher() {}

    /**
     * Subscribes to {@link ClippedEvent}s.
     *
     * @param consumer the consumer
     * @return this publisher
     */
    public GuardEventPublisher onClipped(Consumer<? super ClippedEvent> consumer) {
        return subscribe(ClippedEvent.class, consumer);
    }

    /**
     * Subscribes to {@link SkippedEvent}s.
     *
     * @param consumer the consumer
     * @return this publisher
     */
    public GuardEventPublisher onSkipped(Consumer<? super SkippedEvent> consumer) {
        return subscribe(SkippedEvent.class, consumer);
    }

    /**
     * Subscribes to {@link OverflowEvent}s.
     *
     * @param consumer the consumer
     * @return this publisher
     */
    public GuardEventPublisher onOverflow(Consumer<? super OverflowEvent> consumer) {
        return subscribe(OverflowEvent.class, consumer);
    }

    /**
     * Subscribes to {@link AlertEvent}s.
     *
     * @param consumer the consumer
     * @return this publisher
     */
    public GuardEventPublisher onAlert(Consumer<? super AlertEvent> consumer) {
        return subscribe(AlertEvent.class, consumer);
    }

    /**
     * Subscribes to every event.
     *
     * @param consumer the consumer
     * @return this publisher
     */
    public GuardEventPublisher onEvent(Consumer<? super GuardEvent> consumer) {
        return subscribe(GuardEvent.class, consumer);
    }

    /**
     * Hands an event to every consumer subscribed to its type, in registration order. What a
     * consumer throws is logged and does not reach the caller, except a {@link
     * VirtualMachineError}.
     *
     * @param event the event
     * @throws VirtualMachineError if a consumer threw one
     */
    public void publish(GuardEvent event) {
        Objects.requireNonNull(event, "event");
        for (Subscription<?> subscription : subscriptions) {
            subscription.offer(event);
        }
    }

    /**
     * Publishes the events of one step; see the class comment for the rules.
     *
     * @param report the step's report
     * @param details unused
     */
    @Override
    public void onStep(StepReport report, StepDetails details) {
        if (report.nonFinite() && !report.dataFault()) {
            publish(
                    new OverflowEvent(
                            report.step(),
                            report.epoch(),
                            report.batchIndex(),
                            report.totalNorm(),
                            report.lossScale()));
        }
        if (report.skipped()) {
            publish(
                    new SkippedEvent(
                            report.step(),
                            report.epoch(),
                            report.batchIndex(),
                            report.totalNorm(),
                            report.lossScale(),
                            report.nonFinite()));
        } else if (report.clipped()) {
            publish(
                    new ClippedEvent(
                            report.step(),
                            report.epoch(),
                            report.batchIndex(),
                            report.totalNorm(),
                            report.coefficient()));
        }
    }

    private <E extends GuardEvent> GuardEventPublisher subscribe(
            Class<E> type, Consumer<? super E> consumer) {
        subscriptions.add(new Subscription<>(type, Objects.requireNonNull(consumer, "consumer")));
        return this;
    }

    private record Subscription<E extends GuardEvent>(Class<E> type, Consumer<? super E> consumer) {

        void offer(GuardEvent event) {
            if (!type.isInstance(event)) {
                return;
            }
            UserCallbacks.run(
                    () -> consumer.accept(type.cast(event)),
                    logger,
                    "Event consumer {} threw on \"{}\"; ignored",
                    consumer,
                    event);
        }
    }
}
