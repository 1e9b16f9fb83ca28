package io.gradguard.it.scenario;

/**
 * One broken invariant in one scenario.
 *
 * @param invariant which invariant
 * @param window the optimizer step where it broke, or -1 for the whole scenario
 * @param detail what was expected and what was seen
 */
record Violation(Invariant invariant, int window, String detail) {
    @Override
    public String toString() {
        return invariant + (window >= 0 ? " @window " + window : "") + ": " + detail;
    }
}
