package io.gradguard.observe;

import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * The spikes of a run and their likely causes.
 *
 * <p>Classification rules, applied to the {@code steps} optimizer steps seen ([0, steps)), split in
 * thirds {@code A = [0, steps/3)}, {@code B}, {@code C = [2 steps/3, steps)} with spike counts
 * {@code a, b, c}. Several causes can hold at once; none holds without spikes.
 *
 * <ul>
 *   <li>{@link SpikeCause#DATA}: at least one dataset index appears in spikes of two or more
 *       different epochs (see {@link #recurringIndices()}).
 *   <li>{@link SpikeCause#LEARNING_RATE}: growing frequency: {@code c >= 2} and {@code c >= 2 a}.
 *   <li>{@link SpikeCause#NUMERICS}: at least half of the spikes are non-finite.
 *   <li>{@link SpikeCause#CONDITIONING}: a spike within the first 10% of the steps, and the spikes
 *       spread evenly: every third holds one, {@code max(a, b, c) <= 2 min(a, b, c)} and {@code c <
 *       2 a} (so it never coincides with {@code LEARNING_RATE}).
 * </ul>
 *
 * @param steps the optimizer steps seen
 * @param spikeCount the spikes found (all of them, including those not kept)
 * @param nonFiniteSpikes how many of them were non-finite
 * @param spikes the spikes kept, oldest first (at most the forensics' capacity)
 * @param recurringIndices dataset indices that appeared in spikes of two or more epochs
 * @param causes the causes whose rule holds
 */
public record SpikeSummary(
        long steps,
        long spikeCount,
        long nonFiniteSpikes,
        List<Spike> spikes,
        List<Object> recurringIndices,
        Set<SpikeCause> causes) {

    /**
     * Copies the collections.
     *
     * @param steps the record component {@code steps}
     * @param spikeCount the record component {@code spikeCount}
     * @param nonFiniteSpikes the record component {@code nonFiniteSpikes}
     * @param spikes the record component {@code spikes}
     * @param recurringIndices the record component {@code recurringIndices}
     * @param causes the record component {@code causes}
     */
    public SpikeSummary {
        spikes = List.copyOf(spikes);
        recurringIndices = List.copyOf(recurringIndices);
        causes =
                causes.isEmpty()
                        ? Set.of()
                        : java.util.Collections.unmodifiableSet(EnumSet.copyOf(causes));
    }

    /**
     * Classifies a run's spikes with the rules in the class comment.
     *
     * @param steps the optimizer steps seen
     * @param spikeSteps the step of every spike, ascending; only the first {@code spikeCount} count
     * @param spikeCount how many spikes there were
     * @param nonFiniteSpikes how many were non-finite
     * @param spikes the spikes kept
     * @param recurringIndices the indices that recurred across epochs
     * @return the summary
     */
    static SpikeSummary classify(
            long steps,
            long[] spikeSteps,
            int spikeCount,
            long nonFiniteSpikes,
            List<Spike> spikes,
            List<Object> recurringIndices) {
        Set<SpikeCause> causes = EnumSet.noneOf(SpikeCause.class);
        if (spikeCount > 0) {
            if (!recurringIndices.isEmpty()) {
                causes.add(SpikeCause.DATA);
            }
            long[] thirds = new long[3];
            boolean early = false;
            for (int i = 0; i < spikeCount; i++) {
                long s = spikeSteps[i];
                thirds[(int) Math.min(2, s * 3 / Math.max(1, steps))]++;
                early |= s * 10 < steps;
            }
            long a = thirds[0];
            long b = thirds[1];
            long c = thirds[2];
            if (c >= 2 && c >= 2 * a) {
                causes.add(SpikeCause.LEARNING_RATE);
            }
            if (2 * nonFiniteSpikes >= spikeCount) {
                causes.add(SpikeCause.NUMERICS);
            }
            long min = Math.min(a, Math.min(b, c));
            long max = Math.max(a, Math.max(b, c));
            if (early && min >= 1 && max <= 2 * min && c < 2 * a) {
                causes.add(SpikeCause.CONDITIONING);
            }
        }
        return new SpikeSummary(
                steps, spikeCount, nonFiniteSpikes, spikes, recurringIndices, causes);
    }

    /**
     * Returns a multi-line report: the counts, each likely cause with its fix, and the recurring
     * indices.
     *
     * @return the report
     */
    public String report() {
        StringBuilder out = new StringBuilder();
        out.append(
                String.format(
                        Locale.ROOT,
                        "%d gradient spike(s) in %d steps (%d non-finite)",
                        spikeCount,
                        steps,
                        nonFiniteSpikes));
        if (spikeCount > 0 && causes.isEmpty()) {
            out.append("; no rule matched, so no likely cause");
        }
        for (SpikeCause cause : causes) {
            out.append(System.lineSeparator())
                    .append("  ")
                    .append(cause)
                    .append(": ")
                    .append(cause.symptom())
                    .append(" -> ")
                    .append(cause.fix());
        }
        if (!recurringIndices.isEmpty()) {
            out.append(System.lineSeparator())
                    .append("  dataset indices in spikes of several epochs: ")
                    .append(recurringIndices);
        }
        return out.toString();
    }

    /**
     * Returns {@link #report()}.
     *
     * @return the report
     */
    @Override
    public String toString() {
        return report();
    }
}
