package io.gradguard.examples;

import java.io.PrintWriter;
import java.util.List;

/**
 * Prints the story as it happens: per engine a header, then the numbered steps in {@link
 * StoryText}'s words as each completes, then the engine's table.
 */
final class StoryConsole {

    /** The steps' names, in story order. */
    static final List<String> STEPS = List.of("Measure", "Clip", "Alert", "Diagnose", "Fix");

    private final PrintWriter out;

    /**
     * Creates the console.
     *
     * @param out where to print
     */
    StoryConsole(PrintWriter out) {
        this.out = out;
    }

    /**
     * Prints an engine's header.
     *
     * @param engine the engine name
     */
    void engine(String engine) {
        out.printf("%n=== %s ===%n", engine);
        out.flush();
    }

    /**
     * Prints one step: its number and name, then its text, continuation lines indented.
     *
     * @param number the step's number, from 1
     * @param text the step's text, ending with a newline
     */
    void step(int number, String text) {
        String indented = text.strip().replace("\n", "\n  ");
        out.printf("%d %s: %s%n", number, STEPS.get(number - 1), indented);
        out.flush();
    }

    /**
     * Prints a block of text as it is.
     *
     * @param text the text
     */
    void print(String text) {
        out.print(text);
        out.flush();
    }

    /**
     * Prints the closing verdict: the story's summary when it holds, else each problem on {@code
     * err}.
     *
     * @param problems what failed, empty when the story holds
     * @param err where problems go
     */
    void verdict(List<String> problems, PrintWriter err) {
        if (problems.isEmpty()) {
            out.println(
                    "The story holds: unguarded diverged, clipping finished, the alert fired on the"
                            + " buggy data and not on the fixed data, the cause is data, and the"
                            + " fix lowered the clip rate.");
            out.flush();
            return;
        }
        out.flush();
        problems.forEach(err::println);
        err.flush();
    }
}
