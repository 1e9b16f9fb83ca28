package io.gradguard.examples;

import java.util.SplittableRandom;

/**
 * Generates the synthetic churn data: per user, one slot per day of a {@code seqLen}-day window,
 * holding the day's event type and the day's value of the padding mask.
 *
 * <p>Per user, drawn in this order from one {@link SplittableRandom} seeded with the spec's seed:
 *
 * <ol>
 *   <li>long-tail power user with probability {@code longTailShare};
 *   <li>hidden churn risk {@code r ~ U(0, 1)}; churn label {@code y ~ Bernoulli(sigmoid(8 (r -
 *       0.5)))}, so the label depends on the sequence only through {@code r};
 *   <li>activity {@code a ~ U(0.3, 0.8)} and signup day {@code s ~ U{0 .. seqLen/3 - 1}} (days
 *       before {@code s} are padding);
 *   <li>for each day {@code t >= s}: active with probability {@code a (1 - 0.8 r late)}, where
 *       {@code late} marks the last third of the window (risky users fade out); an active day gets
 *       an event type drawn with the weights of {@link EventType#weight}.
 * </ol>
 *
 * <p><b>The mask bug.</b> The mask should be 1 on active days and 0 on padding. The pipeline builds
 * it by adding 1 per event into the event's day slot, so a day with {@code k} events gets {@code
 * k}. An ordinary user has one event on an active day (two with probability 0.1), so the mask looks
 * like a 0/1 mask and the bug went unnoticed. A power user (an integration or bot account) logs
 * hundreds to thousands of events a day: {@code k = clamp(round(exp(ln(median) + z)), 1, 5000)}
 * with {@code z ~ N(0, 1)}, and the mask carries those counts into the model.
 */
public final class ChurnDataGenerator {

    /** The largest daily event count the generator produces. */
    static final int MAX_DAILY_EVENTS = 5000;

    private static final double ACTIVITY_MIN = 0.3;
    private static final double ACTIVITY_SPAN = 0.5;
    private static final double LATE_FADE = 0.8;
    private static final double LABEL_SLOPE = 8;
    private static final double SECOND_EVENT_PROBABILITY = 0.1;

    private ChurnDataGenerator() {}

    /**
     * Generates the data set described by {@code spec}; deterministic for a spec.
     *
     * @param spec the shape and seed
     * @return the data
     */
    public static ChurnData generate(ChurnDataSpec spec) {
        int users = spec.users();
        int days = spec.seqLen();
        int[] types = new int[users * days];
        float[] mask = new float[users * days];
        float[] labels = new float[users];
        boolean[] longTail = new boolean[users];
        EventType[] events = EventType.values();
        double[] weights = new double[events.length];
        SplittableRandom random = new SplittableRandom(spec.seed());
        int lateStart = days - days / 3;
        for (int u = 0; u < users; u++) {
            longTail[u] = random.nextDouble() < spec.longTailShare();
            double risk = random.nextDouble();
            labels[u] = random.nextDouble() < sigmoid(LABEL_SLOPE * (risk - 0.5)) ? 1f : 0f;
            double activity = ACTIVITY_MIN + ACTIVITY_SPAN * random.nextDouble();
            int signup = random.nextInt(days / 3);
            for (int t = signup; t < days; t++) {
                boolean late = t >= lateStart;
                double pActive = activity * (1 - LATE_FADE * risk * (late ? 1 : 0));
                if (random.nextDouble() >= pActive) {
                    continue;
                }
                int slot = u * days + t;
                types[slot] = drawEvent(random, events, weights, risk, late);
                mask[slot] =
                        longTail[u]
                                ? powerUserEvents(random, spec.powerUserMedianEvents())
                                : random.nextDouble() < SECOND_EVENT_PROBABILITY ? 2f : 1f;
            }
        }
        return new ChurnData(spec, types, mask, labels, longTail);
    }

    private static int drawEvent(
            SplittableRandom random,
            EventType[] events,
            double[] weights,
            double risk,
            boolean late) {
        double total = 0;
        for (int i = 0; i < events.length; i++) {
            weights[i] = events[i].weight(risk, late);
            total += weights[i];
        }
        double pick = random.nextDouble() * total;
        for (int i = 1; i < events.length; i++) {
            pick -= weights[i];
            if (pick < 0) {
                return i;
            }
        }
        return events.length - 1;
    }

    private static float powerUserEvents(SplittableRandom random, double median) {
        double k = Math.rint(Math.exp(Math.log(median) + random.nextGaussian()));
        return (float) Math.max(1, Math.min(MAX_DAILY_EVENTS, k));
    }

    private static double sigmoid(double x) {
        return 1 / (1 + Math.exp(-x));
    }
}
