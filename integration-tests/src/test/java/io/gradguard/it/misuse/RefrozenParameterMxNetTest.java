package io.gradguard.it.misuse;

/** {@link RefrozenParameterKit} on the MXNet engine. */
public class RefrozenParameterMxNetTest extends RefrozenParameterKit {

    @Override
    protected String engineName() {
        return "MXNet";
    }
}
