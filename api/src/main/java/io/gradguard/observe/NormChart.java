package io.gradguard.observe;

import io.gradguard.StepDetails;
import io.gradguard.StepObserver;
import io.gradguard.StepReport;
import io.gradguard.clip.ClipStrategy;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Draws the run's gradient norms as PNG images: the pre-clip total norm over optimizer steps with
 * the clip threshold, clipped and skipped steps marked, and the loss scale on a second y axis when
 * it is not constantly 1; and a histogram of the finite norms.
 *
 * <pre>{@code
 * NormChart chart = NormChart.builder()
 *         .setOutput(Path.of("build/norms.png"))   // the histogram goes to build/norms-histogram.png
 *         .optThreshold(strategy)
 *         .build();
 * }</pre>
 *
 * <p>Rendering uses XChart ({@code org.knowm.xchart:xchart}), an optional dependency of this
 * library: add it to your build to use this class. {@link Builder#build()} checks that it is on the
 * class path and throws {@link IllegalStateException} with the coordinates otherwise; nothing else
 * in GradGuard loads it.
 *
 * <p>Each step costs a few primitive array slots (about 34 bytes). The images are written when
 * training ends (unless disabled) or when {@link #write()} is called. Non-finite norms leave a gap
 * in the norm line, and so do zero norms on a log axis ({@link Builder#optLogScale}); a skipped
 * step is marked at its norm, or at the largest drawn norm when its own is not drawn (at 1 on a log
 * axis, 0 on a linear one, when no norm is drawn). The histogram counts every finite norm, zeros
 * included.
 */
public final class NormChart implements StepObserver {

    /** The XChart class whose presence is checked. */
    static final String XCHART_PROBE = "org.knowm.xchart.XYChart";

    private static final Logger logger = LoggerFactory.getLogger(NormChart.class);

    private final Path output;
    private final Path histogramOutput;
    private final int width;
    private final int height;
    private final ClipStrategy strategy;
    private final boolean writeOnTrainingEnd;
    private final boolean logScale;
    private final ChartData data = new ChartData();

    private NormChart(Builder builder) {
        this.output = builder.output;
        this.histogramOutput =
                builder.histogramOutput != null
                        ? builder.histogramOutput
                        : siblingHistogram(builder.output);
        this.width = builder.width;
        this.height = builder.height;
        this.strategy = builder.strategy;
        this.writeOnTrainingEnd = builder.writeOnTrainingEnd;
        this.logScale = builder.logScale;
    }

    /**
     * Returns a builder; {@link Builder#setOutput(Path)} is required.
     *
     * @return a new builder
     */
    public static Builder builder() {
        return new Builder();
    }

    @Override
    public void onStep(StepReport report, StepDetails details) {
        float threshold = strategy == null ? Float.POSITIVE_INFINITY : strategy.threshold();
        data.add(
                report.step(),
                report.totalNorm(),
                threshold,
                report.lossScale(),
                report.clipped() && !report.skipped(),
                report.skipped());
    }

    @Override
    public void onTrainingEnd() {
        if (!writeOnTrainingEnd) {
            return;
        }
        try {
            write();
        } catch (RuntimeException e) {
            logger.warn("Could not write the gradient norm charts to {}", output, e);
        }
    }

    /**
     * Writes both images now, replacing existing files.
     *
     * @throws UncheckedIOException if a file cannot be written
     * @throws IllegalStateException if no step was recorded yet
     */
    public void write() {
        if (data.size() == 0) {
            throw new IllegalStateException("No step recorded yet: nothing to draw");
        }
        XChartRenderer.write(data, output, histogramOutput, width, height, logScale);
    }

    /**
     * Returns the number of steps recorded, which is the number of points of the norm series.
     *
     * @return the step count
     */
    public int size() {
        return data.size();
    }

    /**
     * Returns the file the norm chart is written to.
     *
     * @return the path of the norm chart
     */
    public Path output() {
        return output;
    }

    /**
     * Returns the file the histogram is written to.
     *
     * @return the path of the histogram
     */
    public Path histogramOutput() {
        return histogramOutput;
    }

    ChartData data() {
        return data;
    }

    private static Path siblingHistogram(Path output) {
        String name = output.getFileName().toString();
        String stem =
                name.toLowerCase(java.util.Locale.ROOT).endsWith(".png")
                        ? name.substring(0, name.length() - 4)
                        : name;
        return output.resolveSibling(stem + "-histogram.png");
    }

    /**
     * Throws if XChart is not on the class path.
     *
     * @throws IllegalStateException naming the missing dependency
     */
    static void requireXChart() {
        try {
            Class.forName(XCHART_PROBE, false, NormChart.class.getClassLoader());
        } catch (ClassNotFoundException | LinkageError e) {
            throw new IllegalStateException(
                    "PNG charts need XChart on the class path, an optional dependency of"
                            + " GradGuard: add org.knowm.xchart:xchart:3.8.8 to your build, or"
                            + " drop the NormChart observer.",
                    e);
        }
    }

    /** Builds a {@link NormChart}; every setter checks its argument. */
    public static final class Builder {

        private Path output;
        private Path histogramOutput;
        private int width = 1000;
        private int height = 500;
        private ClipStrategy strategy;
        private boolean writeOnTrainingEnd = true;
        private boolean logScale;

        private Builder() {}

        /**
         * Sets the PNG file of the norm chart. Required. The histogram goes next to it, with {@code
         * -histogram} added to the name, unless {@link #optHistogramOutput(Path)} says otherwise.
         *
         * @param output the file
         * @return this builder
         */
        public Builder setOutput(Path output) {
            this.output = Objects.requireNonNull(output, "output");
            return this;
        }

        /**
         * Sets the PNG file of the histogram.
         *
         * @param histogramOutput the file
         * @return this builder
         */
        public Builder optHistogramOutput(Path histogramOutput) {
            this.histogramOutput = Objects.requireNonNull(histogramOutput, "histogramOutput");
            return this;
        }

        /**
         * Sets the size of both images in pixels; 1000 x 500 by default.
         *
         * @param width the width, in [100, 10000]
         * @param height the height, in [100, 10000]
         * @return this builder
         * @throws IllegalArgumentException if a dimension is out of range
         */
        public Builder optSize(int width, int height) {
            if (width < 100 || width > 10_000) {
                throw new IllegalArgumentException(
                        "width must be in [100, 10000] pixels, got " + width);
            }
            if (height < 100 || height > 10_000) {
                throw new IllegalArgumentException(
                        "height must be in [100, 10000] pixels, got " + height);
            }
            this.width = width;
            this.height = height;
            return this;
        }

        /**
         * Sets the strategy whose {@link ClipStrategy#threshold()} is drawn as the threshold line,
         * sampled at every step (adaptive thresholds move). No line by default. Meaningful for
         * total-norm strategies (global norm, AutoClip, ZClip, calibration); for AGC and value
         * clipping the threshold is in other units (lambda, an element bound), so leave it out.
         *
         * @param strategy the listener's strategy
         * @return this builder
         */
        public Builder optThreshold(ClipStrategy strategy) {
            this.strategy = Objects.requireNonNull(strategy, "strategy");
            return this;
        }

        /**
         * Sets whether the images are written when training ends; true by default.
         *
         * @param write false to write only on {@link NormChart#write()}
         * @return this builder
         */
        public Builder optWriteOnTrainingEnd(boolean write) {
            this.writeOnTrainingEnd = write;
            return this;
        }

        /**
         * Sets whether the norm axis is logarithmic; false by default. Useful when spikes are
         * orders of magnitude above the usual norm. A log axis has no place for a zero norm (all
         * gradients zero): such steps leave a gap in the line, as non-finite norms do.
         *
         * @param logScale true for a log10 norm axis
         * @return this builder
         */
        public Builder optLogScale(boolean logScale) {
            this.logScale = logScale;
            return this;
        }

        /**
         * Builds the chart observer.
         *
         * @return the observer
         * @throws IllegalStateException if no output was set or XChart is not on the class path
         */
        public NormChart build() {
            if (output == null) {
                throw new IllegalStateException(
                        "No output set: call setOutput(Path.of(\"norms.png\")) before build()");
            }
            requireXChart();
            return new NormChart(this);
        }
    }
}
