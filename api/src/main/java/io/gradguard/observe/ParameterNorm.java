package io.gradguard.observe;

import java.util.Locale;
import java.util.Objects;

/**
 * One parameter's gradient norm at a step.
 *
 * @param name the parameter's name, as the model's block reports it
 * @param norm its pre-clip L2 gradient norm (NaN or infinite where the fault is)
 */
public record ParameterNorm(String name, float norm) {

    /**
     * Checks that the name is present.
     *
     * @param name the record component {@code name}
     * @param norm the record component {@code norm}
     */
    public ParameterNorm {
        Objects.requireNonNull(name, "name");
    }

    /**
     * Returns {@code name=norm}.
     *
     * @return for example {@code "fc2_weight=912.4"}
     */
    @Override
    public String toString() {
        return name + "=" + String.format(Locale.ROOT, "%.4g", norm);
    }
}
