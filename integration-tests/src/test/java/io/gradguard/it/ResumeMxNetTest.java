package io.gradguard.it;

/** Runs {@link ResumeKit} on the MXNet engine. */
public class ResumeMxNetTest extends ResumeKit {

    @Override
    protected String engineName() {
        return "MXNet";
    }
}
