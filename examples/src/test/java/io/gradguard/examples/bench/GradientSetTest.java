package io.gradguard.examples.bench;

import static org.testng.Assert.assertEquals;
import static org.testng.Assert.assertThrows;

import ai.djl.ndarray.types.Shape;
import java.util.List;
import org.testng.annotations.DataProvider;
import org.testng.annotations.Test;

/** The benchmark's gradient sets. */
public class GradientSetTest {

    /** {@code COUNTxSIZE} gives that many one-dimensional tensors. */
    @Test
    public void parsesUniformSets() {
        GradientSet set = GradientSet.parseUniform(" 100X10000 ");
        assertEquals(set.count(), 100);
        assertEquals(set.totalSize(), 1_000_000L);
        assertEquals(set.label(), "100 x 10000");
        assertEquals(set.shapes().get(99), new Shape(10000));
    }

    /** Anything else is refused, naming the value. */
    @Test
    public void refusesOtherText() {
        for (String bad : List.of("100", "ax10", "10x0", "0x10", "1x2x3", "")) {
            assertThrows(IllegalArgumentException.class, () -> GradientSet.parseUniform(bad));
        }
    }

    /**
     * Supplies test parameters.
     *
     * @return the engines
     */
    @DataProvider
    public Object[][] engines() {
        return new Object[][] {{"PyTorch"}, {"MXNet"}};
    }

    /**
     * The churn LSTM has 11 trainable tensors and 60,481 parameters on both engines: embedding 64 x
     * 32 = 2,048; per LSTM layer four gates of 64 units, input weights 256 x 32 = 8,192 (layer 0)
     * or 256 x 64 = 16,384 (layer 1), recurrent weights 256 x 64 = 16,384, two biases of 256; dense
     * 64 + 1. 2,048 + (8,192 + 16,384 + 512) + (16,384 + 16,384 + 512) + 65 = 60,481.
     *
     * @param engine the engine
     */
    @Test(dataProvider = "engines")
    public void lstmParameterSet(String engine) {
        GradientSet set = BenchLstm.parameterSet(engine, 4, 7);
        assertEquals(set.count(), 11);
        assertEquals(set.totalSize(), 60_481L);
        assertEquals(set.label(), "LSTM (11 tensors, 60481)");
    }

    /**
     * The transformer-shaped set: embedding 30,000 x 256 = 7,680,000; per block four projections of
     * 256 x 256 + 256 = 263,168, two layer norms 4 x 256 = 1,024, MLP 1024 x 256 + 1024 + 256 x
     * 1024 + 256 = 525,568, so 789,760 in 16 tensors; 12 blocks 9,477,120 in 192 tensors; a final
     * layer norm 512 in 2. 195 tensors, 7,680,000 + 9,477,120 + 512 = 17,157,632 floats.
     */
    @Test
    public void transformerParameterSet() {
        GradientSet set = GradientSet.transformer();
        assertEquals(set.count(), 195);
        assertEquals(set.totalSize(), 17_157_632L);
        assertEquals(set.label(), "transformer (195 tensors, 17157632)");
    }
}
