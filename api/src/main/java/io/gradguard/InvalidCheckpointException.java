package io.gradguard;

import java.nio.file.Path;

/**
 * Thrown when a GradGuard state file cannot be used: it is truncated, corrupt, of another format
 * version, holds a value out of range, or does not fit the listener it is loaded into. The message
 * names the file and the problem; nothing has been restored when it is thrown.
 */
public class InvalidCheckpointException extends IllegalArgumentException {

    private static final long serialVersionUID = 1L;

    private final String file;
    private final String problem;

    /**
     * Creates the exception.
     *
     * @param file the state file
     * @param problem what is wrong with it, as a sentence
     */
    public InvalidCheckpointException(Path file, String problem) {
        this(file, problem, null);
    }

    /**
     * Creates the exception with the error that revealed the problem.
     *
     * @param file the state file
     * @param problem what is wrong with it, as a sentence
     * @param cause the underlying error, or null
     */
    public InvalidCheckpointException(Path file, String problem, Throwable cause) {
        super("GradGuard state file " + file + ": " + problem, cause);
        this.file = String.valueOf(file);
        this.problem = problem;
    }

    /**
     * Returns the path of the file, as given.
     *
     * @return the file
     */
    public String getFile() {
        return file;
    }

    /**
     * Returns what is wrong with the file, without the file name.
     *
     * @return the problem
     */
    public String getProblem() {
        return problem;
    }
}
