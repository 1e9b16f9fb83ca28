package io.gradguard.examples;

import static org.testng.Assert.assertEquals;
import static org.testng.Assert.assertThrows;
import static org.testng.Assert.assertTrue;

import io.gradguard.observe.Spike;
import java.util.List;
import java.util.Set;
import org.testng.annotations.Test;

/** Scoring the spike attribution against the power users. */
public class AttributionTest {

    private static Spike spike(long step, int epoch, Long... indices) {
        return new Spike(step, epoch, step, 50f, 5f, false, List.of(), List.of((Object[]) indices));
    }

    @Test
    public void countsSpikeBatchesAndNamedUsersByHand() {
        // Power users: 3, 7 and 9 (three in all).
        Set<Long> power = Set.of(3L, 7L, 9L);
        List<Spike> spikes =
                List.of(
                        spike(0, 0, 1L, 3L), // holds power user 3
                        spike(5, 0, 2L, 4L), // holds no power user
                        spike(9, 1, 3L, 5L), // holds power user 3 again
                        spike(12, 1), // carried no indices: not a spike batch
                        spike(15, 2, 7L, 5L)); // holds power user 7
        // Named (indices in spikes of two epochs): 3 (epochs 0, 1) and 5 (epochs 1, 2), and the
        // list repeats 3, as a caller might.
        Attribution a = Attribution.of(spikes, List.of(3L, 5L, 3L), power::contains, 3);

        assertEquals(a.spikeBatches(), 4);
        assertEquals(a.spikeBatchesWithPowerUser(), 3);
        assertEquals(a.batchPrecision(), 3.0 / 4);
        assertEquals(a.named(), 2);
        assertEquals(a.namedPowerUsers(), 1);
        assertEquals(a.userPrecision(), 1.0 / 2);
        assertEquals(a.userRecall(), 1.0 / 3);
    }

    @Test
    public void ratiosWithoutADenominatorAreNaN() {
        Attribution none = Attribution.of(List.of(), List.of(), i -> false, 0);
        assertTrue(Double.isNaN(none.batchPrecision()));
        assertTrue(Double.isNaN(none.userPrecision()));
        assertTrue(Double.isNaN(none.userRecall()));
    }

    @Test
    public void acceptsAnyIntegralIndexType() {
        Spike ints = new Spike(0, 0, 0, 50f, 5f, false, List.of(), List.of(3, 4));
        Attribution a = Attribution.of(List.of(ints), List.of(3), i -> i == 3, 1);
        assertEquals(a.spikeBatchesWithPowerUser(), 1);
        assertEquals(a.userRecall(), 1.0);
    }

    @Test
    public void refusesCountsThatDoNotAddUp() {
        assertThrows(IllegalArgumentException.class, () -> new Attribution(2, 3, 0, 0, 0));
        assertThrows(IllegalArgumentException.class, () -> new Attribution(0, 0, 1, 2, 5));
        assertThrows(IllegalArgumentException.class, () -> new Attribution(0, 0, 5, 2, 1));
        Spike text = new Spike(0, 0, 0, 50f, 5f, false, List.of(), List.of("user-3"));
        assertThrows(
                IllegalArgumentException.class,
                () -> Attribution.of(List.of(text), List.of(), i -> false, 0));
    }

    @Test
    public void mapsTrainingIndicesToTheGeneratorsPowerUsers() {
        ChurnData data = ChurnDataGenerator.generate(ChurnDataSpec.of(400, 12, 0.05, 11));
        boolean[] flags = data.longTail();
        int train = data.spec().trainUsers();
        for (int u = 0; u < train; u++) {
            assertEquals(data.isTrainingPowerUser(u), flags[u], "user " + u);
        }
        assertThrows(IllegalArgumentException.class, () -> data.isTrainingPowerUser(train));
        assertThrows(IllegalArgumentException.class, () -> data.isTrainingPowerUser(-1));
    }
}
