package io.gradguard;

import io.gradguard.StrategyStateValidationTest.Saved;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Hand edits of saved strategy states that loading must refuse, for {@link
 * StrategyStateValidationTest}, with the text the error message must contain: the key and the
 * value. The saved states are: AutoClip(p50, historySize 4) after norms 3, 1, 4; ZClip(maxNorm 4,
 * alpha 0.5, zThreshold 2, warmupSteps 3) after norms 1, 2 (warming up) and after 1, 2, 3, 2.5;
 * calibration(steps 4, p50, adopt) after norms 1, 3.
 */
final class BadStrategyStates {

    /** A bad edit of a saved file, and what its error message must contain. */
    record Row(Saved saved, Map<String, String> edits, String expected) {}

    private BadStrategyStates() {}

    private static Row state(Saved saved, String key, String value, String expected) {
        Map<String, String> edits = new LinkedHashMap<>();
        edits.put(StrategyStateValidationTest.S + key, value);
        return new Row(saved, edits, expected);
    }

    /** Bad values behind a valid checksum; each message names the key and the value. */
    static List<Row> rows() {
        Saved a = Saved.AUTO_CLIP;
        Saved w = Saved.ZCLIP_WARMING_UP;
        Saved z = Saved.ZCLIP;
        Saved c = Saved.CALIBRATE;
        return List.of(
                // History entries, warm-up norms, observations: finite norms >= 0.
                state(
                        a,
                        "history",
                        "D:3.0,-100.0,4.0",
                        "history[1] must be a finite norm >= 0, got -100.0"),
                state(
                        a,
                        "history",
                        "D:3.0,NaN,4.0",
                        "history[1] must be a finite norm >= 0, got NaN"),
                state(
                        a,
                        "history",
                        "D:Infinity,1.0,4.0",
                        "history[0] must be a finite norm >= 0, got Infinity"),
                state(
                        w,
                        "warmupNorms",
                        "D:1.0,NaN",
                        "warmupNorms[1] must be a finite norm >= 0, got NaN"),
                state(
                        w,
                        "warmupNorms",
                        "D:-1.0,2.0",
                        "warmupNorms[0] must be a finite norm >= 0, got -1.0"),
                state(
                        z,
                        "warmupNorms",
                        "D:1.0,2.0,-Infinity",
                        "warmupNorms[2] must be a finite norm >= 0, got -Infinity"),
                state(
                        c,
                        "observed",
                        "D:1.0,-3.0",
                        "observed[1] must be a finite norm >= 0, got -3.0"),
                state(
                        c,
                        "observed",
                        "D:NaN,3.0",
                        "observed[0] must be a finite norm >= 0, got NaN"),
                // Lengths against the window sizes and the warm-up flag.
                state(
                        a,
                        "history",
                        "D:1.0,2.0,3.0,4.0,5.0",
                        "history holds 5 norms, more than historySize 4"),
                state(
                        c,
                        "observed",
                        "D:1.0,2.0,3.0,4.0,5.0",
                        "observed holds 5 norms, more than steps 4"),
                state(
                        z,
                        "warmupNorms",
                        "D:1.0,2.0,3.0,4.0",
                        "warmupNorms holds 4 norms, more than warmupSteps 3"),
                state(
                        z,
                        "warmupNorms",
                        "D:1.0,2.0",
                        "warmupNorms holds 2 norms, inconsistent with warmupSteps 3 and initialized true"),
                state(
                        w,
                        "warmupNorms",
                        "D:1.0,2.0,3.0",
                        "warmupNorms holds 3 norms, inconsistent with warmupSteps 3 and initialized false"),
                // Statistics: finite and >= 0; zero during warm-up.
                state(z, "mean", "d:-1000.0", "mean must be finite and >= 0, got -1000.0"),
                state(z, "mean", "d:NaN", "mean must be finite and >= 0, got NaN"),
                state(z, "mean", "d:Infinity", "mean must be finite and >= 0, got Infinity"),
                state(z, "variance", "d:-1.0", "variance must be finite and >= 0, got -1.0"),
                state(z, "variance", "d:NaN", "variance must be finite and >= 0, got NaN"),
                state(
                        w,
                        "mean",
                        "d:1.0",
                        "mean and variance must be 0 and threshold maxNorm 4.0, got mean 1.0"),
                // Thresholds: in [0, ceiling], consistent with the history.
                state(a, "threshold", "f:-1.0", "threshold must be in [0, Infinity], got -1.0"),
                state(a, "threshold", "f:NaN", "threshold must be in [0, Infinity], got NaN"),
                state(
                        a,
                        "threshold",
                        "f:2.5",
                        "threshold is 2.5 but the p50.0 of the 3 norms in history is 3.0"),
                state(z, "threshold", "f:5.0", "threshold must be in [0, 4.0], got 5.0"),
                state(
                        w,
                        "threshold",
                        "f:1.0",
                        "threshold maxNorm 4.0, got mean 0.0, variance 0.0, threshold 1.0"),
                // Configuration: equal to the strategy's own (NaN and out-of-range values
                // included).
                state(
                        a,
                        "historySize",
                        "i:5",
                        "historySize is 5.0 but this strategy was built with 4.0"),
                state(a, "historySize", "i:-1", "historySize is -1.0"),
                state(a, "percentile", "f:NaN", "percentile is NaN"),
                state(z, "maxNorm", "f:8.0", "maxNorm is 8.0"),
                state(z, "alpha", "f:1.5", "alpha is 1.5"),
                state(z, "zThreshold", "f:-2.0", "zThreshold is -2.0"),
                state(z, "warmupSteps", "i:2", "warmupSteps is 2.0"),
                state(c, "steps", "i:0", "steps is 0.0"),
                state(c, "percentile", "f:101.0", "percentile is 101.0"),
                state(
                        c,
                        "adopt",
                        "b:false",
                        "adopt is false but this strategy was built with true"),
                // Types, tags, the strategy's name, unknown and missing keys.
                state(a, "history", "f:3.0", "history must be a double[], got Float 3.0"),
                state(
                        w,
                        "initialized",
                        "s:false",
                        "initialized must be a boolean, got String false"),
                state(z, "mean", "d:abc", "strategy state key mean is malformed: 'd:abc'"),
                state(z, "variance", "0.25", "strategy state key variance has no type tag: '0.25'"),
                state(a, "strategy", "s:zClip", "state belongs to strategy zClip, not autoClip"),
                state(a, "histroy", "D:1.0", "unknown strategy state key histroy"),
                state(z, "meen", "d:1.0", "unknown strategy state key meen"),
                state(c, "adpot", "b:true", "unknown strategy state key adpot"),
                state(a, "threshold", null, "missing strategy state key threshold"),
                state(z, "variance", null, "missing strategy state key variance"));
    }
}
