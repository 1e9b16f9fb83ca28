package io.gradguard.clip;

import java.util.Optional;

/**
 * A strategy that first observes the total gradient norm without clipping and then recommends a
 * threshold at a percentile of what it saw, optionally adopting it. Obtain one from {@link
 * ClipStrategy#calibrate(int)} or {@link ClipStrategy#calibrate(int, float, boolean)}.
 *
 * <p>This automates the usual advice: log unclipped norms first, then set the threshold at the
 * 95th-99th percentile.
 */
public interface ThresholdCalibration extends StatefulClipStrategy {

    /**
     * Returns the recommended threshold once the observation phase is over.
     *
     * @return the percentile of the observed norms, or empty while still observing
     */
    Optional<Float> recommendation();

    /**
     * Returns the distribution of the observed norms once the observation phase is over.
     *
     * @return the distribution, or empty while still observing
     */
    Optional<NormDistribution> distribution();

    /**
     * Returns whether the strategy clips at the recommendation once it is known.
     *
     * @return true if it adopts the recommendation, false if it only observes
     */
    boolean adopts();
}
