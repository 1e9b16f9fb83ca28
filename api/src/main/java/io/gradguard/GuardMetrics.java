package io.gradguard;

/**
 * The names of the metrics a {@link ClippingTrainingListener} writes to {@code
 * trainer.getMetrics()} when the trainer has metrics set, once per optimizer step whose report was
 * read.
 */
public final class GuardMetrics {

    /** Metric: the pre-clip total gradient norm. */
    public static final String NORM = "gradient_norm";

    /** Metric: the clip coefficient. */
    public static final String COEFFICIENT = "gradient_clip_coefficient";

    /** Metric: the loss scale used for the step. */
    public static final String LOSS_SCALE = "loss_scale";

    /** Metric: the number of skipped optimizer steps so far. */
    public static final String SKIPPED = "skipped_steps";

    /** Metric: the strategy's threshold at the step (infinite when it does not clip). */
    public static final String THRESHOLD = "gradient_clip_threshold";

    private GuardMetrics() {}
}
