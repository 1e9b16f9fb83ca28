package io.gradguard.it.misuse;

import io.gradguard.spi.GradientOps;

/** {@link RefrozenParameterKit} on MXNet with the generic ops (the accumulation buffer path). */
public class RefrozenParameterMxNetGenericTest extends RefrozenParameterKit {

    @Override
    protected String engineName() {
        return "MXNet";
    }

    @Override
    protected GradientOps ops() {
        return GradientOps.generic();
    }
}
