package io.gradguard.examples;

import static org.testng.Assert.assertEquals;
import static org.testng.Assert.assertThrows;

import org.testng.annotations.Test;

public class AucTest {

    @Test
    public void handWorkedExampleWithTies() {
        // Positives score 0.35, 0.8, 0.4; negatives 0.1, 0.4. Pairs (pos > neg = 1, tie = 1/2):
        // 0.35: 1 + 0, 0.8: 1 + 1, 0.4: 1 + 1/2  => 4.5 of 6 pairs = 0.75.
        // Ranks: 0.1 -> 1, 0.35 -> 2, 0.4 and 0.4 -> 3.5 each, 0.8 -> 5;
        // R_pos = 2 + 5 + 3.5 = 10.5, U = 10.5 - 3 * 4 / 2 = 4.5, AUC = 4.5 / (3 * 2) = 0.75.
        float[] scores = {0.1f, 0.4f, 0.35f, 0.8f, 0.4f};
        float[] labels = {0, 0, 1, 1, 1};
        assertEquals(Auc.of(scores, labels), 0.75, 1e-12);
    }

    @Test
    public void separationAndReversalAndAllTies() {
        float[] labels = {0, 0, 1, 1};
        assertEquals(Auc.of(new float[] {1, 2, 3, 4}, labels), 1.0, 0);
        assertEquals(Auc.of(new float[] {4, 3, 2, 1}, labels), 0.0, 0);
        assertEquals(Auc.of(new float[] {7, 7, 7, 7}, labels), 0.5, 0);
    }

    @Test
    public void tiesAcrossAndWithinClasses() {
        // Negatives 1, 2, 2; positives 2, 3. Pairs: 2 vs (1, 2, 2) = 1 + 1/2 + 1/2 = 2;
        // 3 vs all = 3. AUC = 5 / 6.
        float[] scores = {1, 2, 2, 2, 3};
        float[] labels = {0, 0, 1, 0, 1};
        assertEquals(Auc.of(scores, labels), 5.0 / 6.0, 1e-12);
    }

    @Test
    public void rejectsBadInput() {
        assertThrows(
                IllegalArgumentException.class,
                () -> Auc.of(new float[] {1, Float.NaN}, new float[] {0, 1}));
        assertThrows(
                IllegalArgumentException.class,
                () -> Auc.of(new float[] {1, 2}, new float[] {1, 1}));
        assertThrows(
                IllegalArgumentException.class, () -> Auc.of(new float[] {1, 2}, new float[] {0}));
        assertThrows(
                IllegalArgumentException.class,
                () -> Auc.of(new float[] {1, 2}, new float[] {0, 0.5f}));
    }
}
