package io.gradguard.it;

import static org.testng.Assert.assertTrue;

import ai.djl.ndarray.types.DataType;
import io.gradguard.it.ResumableRun.Kind;
import io.gradguard.it.ResumableRun.Outcome;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.testng.annotations.DataProvider;
import org.testng.annotations.Test;

/**
 * Runs {@link OptimizerResumeKit} on the MXNet engine in float32, and resumes DJL's other stateful
 * optimizers there (DJL's PyTorch engine has no update for them).
 */
public class OptimizerResumeMxNetTest extends OptimizerResumeKit {

    @Override
    protected String engineName() {
        return "MXNet";
    }

    @Override
    protected DataType dataType() {
        return DataType.FLOAT32;
    }

    @DataProvider
    public Object[][] otherOptimizers() {
        return new Object[][] {
            {Kind.NAG}, {Kind.RMSPROP_CENTERED}, {Kind.ADAGRAD}, {Kind.ADADELTA}
        };
    }

    @Test(dataProvider = "otherOptimizers")
    public void otherStatefulOptimizersResumeBitIdentical(Kind kind) throws IOException {
        int stop = 9;
        Path dir = Files.createTempDirectory("gradguard-optstate");
        Path end = Files.createTempDirectory("gradguard-optstate-end");
        Outcome whole = run().whole(kind);
        // The 8-16-1 MLP has 8*16 + 16 + 16 + 1 = 161 float32 values: a file larger than 161*4
        // bytes holds at least one state array per parameter, so the optimizer really ran.
        assertTrue(whole.optimizerFile().length > 161 * 4, kind + " kept no state");
        run().segment(kind, 0, stop, dir, null);
        Outcome resumed = run().segment(kind, stop, ResumableRun.windows(), dir, end);
        ResumableRun.assertSameEnd(resumed, whole, stop, "MXNet " + kind);
        ResumeKit.deleteAll(dir);
        ResumeKit.deleteAll(end);
    }
}
