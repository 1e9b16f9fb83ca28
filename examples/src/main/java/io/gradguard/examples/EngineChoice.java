package io.gradguard.examples;

import java.util.List;

/** The engines the demo runs on, by their command-line names. */
public enum EngineChoice {
    /** DJL's PyTorch engine only. */
    PYTORCH(List.of("PyTorch")),
    /** DJL's MXNet engine only. */
    MXNET(List.of("MXNet")),
    /** PyTorch, then MXNet. */
    BOTH(List.of("PyTorch", "MXNet"));

    private final List<String> engineNames;

    EngineChoice(List<String> engineNames) {
        this.engineNames = engineNames;
    }

    /**
     * Returns the DJL engine names, in the order the demo runs them.
     *
     * @return the names
     */
    public List<String> engineNames() {
        return engineNames;
    }
}
