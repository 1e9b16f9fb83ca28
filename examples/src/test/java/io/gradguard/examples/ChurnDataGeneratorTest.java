package io.gradguard.examples;

import static org.testng.Assert.assertEquals;
import static org.testng.Assert.assertFalse;
import static org.testng.Assert.assertNotEquals;
import static org.testng.Assert.assertThrows;
import static org.testng.Assert.assertTrue;

import java.util.Arrays;
import org.testng.annotations.Test;

public class ChurnDataGeneratorTest {

    private static final ChurnDataSpec SPEC = ChurnDataSpec.of(400, 30, 0.05, 11);

    @Test
    public void sameSeedGivesSameArrays() {
        ChurnData a = ChurnDataGenerator.generate(SPEC);
        ChurnData b = ChurnDataGenerator.generate(SPEC);
        assertTrue(Arrays.equals(a.eventTypes(), b.eventTypes()));
        assertTrue(Arrays.equals(a.mask(), b.mask()));
        assertTrue(Arrays.equals(a.labels(), b.labels()));
        assertTrue(Arrays.equals(a.longTail(), b.longTail()));
    }

    @Test
    public void otherSeedGivesOtherArrays() {
        ChurnData a = ChurnDataGenerator.generate(SPEC);
        ChurnData b = ChurnDataGenerator.generate(ChurnDataSpec.of(400, 30, 0.05, 12));
        assertFalse(Arrays.equals(a.eventTypes(), b.eventTypes()));
        assertFalse(Arrays.equals(a.mask(), b.mask()));
        assertFalse(Arrays.equals(a.labels(), b.labels()));
    }

    @Test
    public void ordinaryUsersHaveAZeroOneTwoMaskAndPowerUsersCarryCounts() {
        ChurnData data = ChurnDataGenerator.generate(SPEC);
        int[] types = data.eventTypes();
        float[] mask = data.mask();
        boolean[] longTail = data.longTail();
        int days = SPEC.seqLen();
        float powerMax = 0;
        for (int u = 0; u < SPEC.users(); u++) {
            for (int t = 0; t < days; t++) {
                int i = u * days + t;
                assertEquals(types[i] == 0, mask[i] == 0f, "padding day iff mask 0 at " + i);
                assertTrue(types[i] >= 0 && types[i] < EventType.vocabularySize());
                if (!longTail[u]) {
                    assertTrue(mask[i] == 0f || mask[i] == 1f || mask[i] == 2f, "mask " + mask[i]);
                } else {
                    assertTrue(mask[i] <= ChurnDataGenerator.MAX_DAILY_EVENTS);
                    powerMax = Math.max(powerMax, mask[i]);
                }
            }
        }
        // Power users: lognormal daily counts with median 600, so some day exceeds 100.
        assertTrue(powerMax > 100, "largest power-user count " + powerMax);
    }

    @Test
    public void theFixedMaskIsOneExactlyOnDaysWithEvents() {
        ChurnData data = ChurnDataGenerator.generate(ChurnDataSpec.of(300, 30, 0.05, 5));
        ChurnData fixed = data.withBinaryMask();
        float[] counts = data.mask();
        float[] binary = fixed.mask();
        int[] types = data.eventTypes();
        for (int i = 0; i < counts.length; i++) {
            assertEquals(binary[i], counts[i] > 0 ? 1f : 0f, "slot " + i);
            assertEquals(binary[i] > 0, types[i] != 0, "a day has events iff it has a type");
        }
        assertEquals(fixed.eventTypes(), types);
        assertEquals(fixed.labels(), data.labels());
        assertEquals(fixed.longTail(), data.longTail());
        assertEquals(data.mask(), counts, "the buggy data is unchanged");
    }

    @Test
    public void longTailShareAndLabelsFollowTheSpec() {
        ChurnData data = ChurnDataGenerator.generate(ChurnDataSpec.of(4000, 12, 0.1, 3));
        int longTail = data.longTailCount(0, 4000);
        // Binomial(4000, 0.1): mean 400, sd 19; 5 sd either side.
        assertTrue(longTail > 305 && longTail < 495, "long-tail users " + longTail);
        double churn = 0;
        for (float y : data.labels()) {
            churn += y;
        }
        // E[sigmoid(8 (r - 0.5))] = 0.5 for r ~ U(0, 1) by symmetry; sd of the mean 0.008.
        assertEquals(churn / 4000, 0.5, 0.04);
    }

    @Test
    public void labelsDependOnTheSequence() {
        // Risky users fade out late in the window and file tickets: churners have fewer late
        // active days and more support tickets than stayers, on average.
        ChurnDataSpec spec = ChurnDataSpec.of(3000, 30, 0, 5);
        ChurnData data = ChurnDataGenerator.generate(spec);
        int[] types = data.eventTypes();
        float[] labels = data.labels();
        double[] lateActive = new double[2];
        double[] tickets = new double[2];
        int[] users = new int[2];
        for (int u = 0; u < spec.users(); u++) {
            int y = (int) labels[u];
            users[y]++;
            for (int t = 0; t < 30; t++) {
                int type = types[u * 30 + t];
                lateActive[y] += t >= 20 && type != 0 ? 1 : 0;
                tickets[y] += type == EventType.SUPPORT_TICKET.ordinal() ? 1 : 0;
            }
        }
        assertTrue(lateActive[1] / users[1] < 0.8 * lateActive[0] / users[0]);
        assertTrue(tickets[1] / users[1] > 1.5 * tickets[0] / users[0]);
    }

    @Test
    public void splitsTrainingAndValidationUsers() {
        assertEquals(SPEC.trainUsers(), 320);
        ChurnData data = ChurnDataGenerator.generate(SPEC);
        assertEquals(data.validationLabels().length, 80);
        assertEquals(
                data.validationLabels()[0], data.labels()[320], "validation starts at user 320");
        assertNotEquals(SPEC.trainUsers(), SPEC.users());
    }

    @Test
    public void rejectsBadSpecs() {
        assertThrows(IllegalArgumentException.class, () -> ChurnDataSpec.of(5, 30, 0.1, 1));
        assertThrows(IllegalArgumentException.class, () -> ChurnDataSpec.of(100, 3, 0.1, 1));
        assertThrows(IllegalArgumentException.class, () -> ChurnDataSpec.of(100, 30, 1.0, 1));
        assertThrows(IllegalArgumentException.class, () -> ChurnDataSpec.of(100, 30, -0.1, 1));
        assertThrows(
                IllegalArgumentException.class, () -> new ChurnDataSpec(100, 30, 0.1, 0.5, 0.2, 1));
        assertThrows(
                IllegalArgumentException.class, () -> new ChurnDataSpec(100, 30, 0.1, 600, 1.0, 1));
    }
}
