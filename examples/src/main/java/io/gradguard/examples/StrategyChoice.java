package io.gradguard.examples;

import io.gradguard.clip.ClipStrategy;

/** The clip strategies the demo offers for the guarded run, by their command-line names. */
public enum StrategyChoice {
    /** {@link ClipStrategy#globalNorm(float)}: the whole gradient scaled to norm {@code <= max}. */
    GLOBAL_NORM("global-norm"),
    /** {@link ClipStrategy#value(float)}: every element clamped to {@code [-max, max]}. */
    VALUE("value"),
    /** {@link ClipStrategy#perParameterNorm(float)}: each parameter's gradient on its own. */
    PER_PARAMETER("per-parameter"),
    /**
     * {@link ClipStrategy#observeOnly()}: measure, never clip (the guarded run is then unguarded).
     */
    OBSERVE("observe");

    private final String cliName;

    StrategyChoice(String cliName) {
        this.cliName = cliName;
    }

    /**
     * Returns the name used on the command line.
     *
     * @return the name
     */
    public String cliName() {
        return cliName;
    }

    /**
     * Creates the strategy.
     *
     * @param maxNorm the threshold: the norm bound, or the element bound for {@link #VALUE}; {@code
     *     > 0}
     * @return the strategy
     */
    public ClipStrategy create(float maxNorm) {
        return switch (this) {
            case GLOBAL_NORM -> ClipStrategy.globalNorm(maxNorm);
            case VALUE -> ClipStrategy.value(maxNorm);
            case PER_PARAMETER -> ClipStrategy.perParameterNorm(maxNorm);
            case OBSERVE -> ClipStrategy.observeOnly();
        };
    }

    /**
     * Returns the choice with the given command-line name, ignoring case.
     *
     * @param name the name
     * @return the choice
     * @throws IllegalArgumentException if no choice has that name
     */
    public static StrategyChoice fromCliName(String name) {
        for (StrategyChoice choice : values()) {
            if (choice.cliName.equalsIgnoreCase(name)) {
                return choice;
            }
        }
        throw new IllegalArgumentException(
                "strategy must be one of global-norm, value, per-parameter, observe; got '"
                        + name
                        + "'");
    }
}
