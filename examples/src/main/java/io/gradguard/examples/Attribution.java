package io.gradguard.examples;

import io.gradguard.observe.Spike;
import io.gradguard.observe.SpikeSummary;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.LongPredicate;

/**
 * How well spike forensics traced the spikes to the power users, scored against the generator's
 * ground truth.
 *
 * <ul>
 *   <li>Spike batches: the spikes whose batch carried dataset indices; {@link #batchPrecision()} is
 *       the share of them that hold at least one power user.
 *   <li>Named users: the distinct dataset indices that appeared in spikes of two or more epochs
 *       ({@link SpikeSummary#recurringIndices()}), each a training user. {@link #userPrecision()}
 *       is the share of them that are power users; {@link #userRecall()} the share of the training
 *       power users that were named.
 * </ul>
 *
 * A ratio with a zero denominator is NaN.
 *
 * @param spikeBatches spikes whose batch carried dataset indices, {@code >= 0}
 * @param spikeBatchesWithPowerUser how many of them hold a power user, in [0, spikeBatches]
 * @param named distinct users named, {@code >= 0}
 * @param namedPowerUsers how many of them are power users, in [0, named]
 * @param powerUsers power users among the training users, {@code >= namedPowerUsers}
 */
public record Attribution(
        int spikeBatches,
        int spikeBatchesWithPowerUser,
        int named,
        int namedPowerUsers,
        int powerUsers) {

    /**
     * Checks the counts.
     *
     * @param spikeBatches the record component {@code spikeBatches}
     * @param spikeBatchesWithPowerUser the record component {@code spikeBatchesWithPowerUser}
     * @param named the record component {@code named}
     * @param namedPowerUsers the record component {@code namedPowerUsers}
     * @param powerUsers the record component {@code powerUsers}
     * @throws IllegalArgumentException if a part exceeds its whole or a count is negative
     */
    public Attribution {
        if (spikeBatchesWithPowerUser < 0 || spikeBatchesWithPowerUser > spikeBatches) {
            throw new IllegalArgumentException(
                    "spikeBatchesWithPowerUser must be in [0, "
                            + spikeBatches
                            + "], got "
                            + spikeBatchesWithPowerUser);
        }
        if (namedPowerUsers < 0 || namedPowerUsers > Math.min(named, powerUsers)) {
            throw new IllegalArgumentException(
                    "namedPowerUsers must be in [0, min(named, powerUsers)], got "
                            + namedPowerUsers);
        }
    }

    /**
     * Scores a run's spike summary against the data's power users.
     *
     * @param summary the spike forensics' summary of a run on {@code data}
     * @param data the data the run trained on
     * @return the score
     */
    public static Attribution of(SpikeSummary summary, ChurnData data) {
        int train = data.spec().trainUsers();
        return of(
                summary.spikes(),
                summary.recurringIndices(),
                data::isTrainingPowerUser,
                data.longTailCount(0, train));
    }

    /**
     * Scores spikes and named indices against a ground truth.
     *
     * @param spikes the spikes, each with the dataset indices of its batch (empty when not carried)
     * @param named the named dataset indices
     * @param isPowerUser whether a dataset index is a power user
     * @param powerUsers how many power users the dataset holds
     * @return the score
     */
    static Attribution of(
            List<Spike> spikes, List<?> named, LongPredicate isPowerUser, int powerUsers) {
        int batches = 0;
        int withPowerUser = 0;
        for (Spike spike : spikes) {
            if (spike.datasetIndices().isEmpty()) {
                continue;
            }
            batches++;
            boolean any = false;
            for (Object index : spike.datasetIndices()) {
                any |= isPowerUser.test(asIndex(index));
            }
            withPowerUser += any ? 1 : 0;
        }
        Set<Long> users = new HashSet<>();
        for (Object index : named) {
            users.add(asIndex(index));
        }
        int namedPowerUsers = 0;
        for (long user : users) {
            namedPowerUsers += isPowerUser.test(user) ? 1 : 0;
        }
        return new Attribution(batches, withPowerUser, users.size(), namedPowerUsers, powerUsers);
    }

    private static long asIndex(Object index) {
        if (!(index instanceof Number number)) {
            throw new IllegalArgumentException("dataset index must be a number, got " + index);
        }
        return number.longValue();
    }

    /**
     * Returns the share of spike batches that hold a power user.
     *
     * @return {@code spikeBatchesWithPowerUser / spikeBatches}, NaN without spike batches
     */
    public double batchPrecision() {
        return ratio(spikeBatchesWithPowerUser, spikeBatches);
    }

    /**
     * Returns the share of named users who are power users.
     *
     * @return {@code namedPowerUsers / named}, NaN when nobody was named
     */
    public double userPrecision() {
        return ratio(namedPowerUsers, named);
    }

    /**
     * Returns the share of power users who were named.
     *
     * @return {@code namedPowerUsers / powerUsers}, NaN without power users
     */
    public double userRecall() {
        return ratio(namedPowerUsers, powerUsers);
    }

    private static double ratio(int part, int whole) {
        return whole == 0 ? Double.NaN : (double) part / whole;
    }
}
