package io.gradguard.examples;

import java.io.File;
import java.io.IOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Runs an example's main class in a child JVM on this JVM's class path and exits with the child's
 * exit code when it is not 0 (on 0 it returns, so that a Maven build goes on with its next module).
 * The examples' Maven profiles run it in Maven's own JVM ({@code exec:java}), so that the shell
 * sees the example's exit code and the example's own messages, not a build failure report: {@code
 * java ... ExampleLauncher MAIN_CLASS [ARG...]}.
 *
 * <p>The child gets {@code -Dai.djl.offline=true}, {@code -DOPT_OUT_TRACKING=true} and the
 * environment variable {@code OPT_OUT_TRACKING=true}, inherits the working directory and the
 * standard streams, and is destroyed if this JVM is interrupted while waiting for it.
 */
public final class ExampleLauncher {

    /** The exit code for a launcher called without a main class, as for bad options. */
    static final int USAGE = 2;

    private ExampleLauncher() {}

    /**
     * Runs {@code args[0]} with the remaining arguments and exits with its exit code unless it is
     * 0.
     *
     * @param args the main class, then its arguments
     * @throws IOException if the child JVM cannot be started
     * @throws InterruptedException if interrupted while waiting for the child
     */
    public static void main(String[] args) throws IOException, InterruptedException {
        if (args.length == 0) {
            System.err.println("usage: ExampleLauncher MAIN_CLASS [ARG...]");
            System.exit(USAGE);
        }
        ProcessBuilder child =
                processBuilder(
                        args[0],
                        Arrays.asList(args).subList(1, args.length),
                        classpath(ExampleLauncher.class.getClassLoader()));
        int code = waitFor(child.inheritIO().start());
        if (code != 0) {
            System.exit(code);
        }
    }

    /**
     * Returns the process builder of the child JVM, not started, with the standard streams not yet
     * redirected.
     *
     * @param mainClass the main class
     * @param args its arguments
     * @param classpath the class path
     * @return the builder
     */
    static ProcessBuilder processBuilder(String mainClass, List<String> args, String classpath) {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.add("-Dai.djl.offline=true");
        command.add("-DOPT_OUT_TRACKING=true");
        command.add("-cp");
        command.add(classpath);
        command.add(mainClass);
        command.addAll(args);
        ProcessBuilder builder = new ProcessBuilder(command);
        builder.environment().put("OPT_OUT_TRACKING", "true");
        return builder;
    }

    /**
     * Waits for a child and returns its exit code; destroys it if interrupted.
     *
     * @param child the started child
     * @return its exit code
     * @throws InterruptedException if interrupted while waiting
     */
    static int waitFor(Process child) throws InterruptedException {
        try {
            return child.waitFor();
        } finally {
            if (child.isAlive()) {
                child.destroy();
            }
        }
    }

    /**
     * Returns the class path a class loader sees: the entries of a {@link URLClassLoader} (as
     * {@code exec:java} creates one), otherwise {@code java.class.path}.
     *
     * @param loader the class loader
     * @return the class path, entries separated by {@link File#pathSeparator}
     */
    static String classpath(ClassLoader loader) {
        if (!(loader instanceof URLClassLoader urls)) {
            return System.getProperty("java.class.path");
        }
        List<String> entries = new ArrayList<>();
        for (URL url : urls.getURLs()) {
            try {
                entries.add(Path.of(url.toURI()).toString());
            } catch (URISyntaxException | IllegalArgumentException e) {
                throw new IllegalStateException("class path entry is not a file: " + url, e);
            }
        }
        return String.join(File.pathSeparator, entries);
    }
}
