package io.gradguard.observe;

import static org.testng.Assert.assertTrue;

final class ObserveAssertions {

    private ObserveAssertions() {}

    static void expectMessage(Runnable action, String name, String value) {
        IllegalArgumentException e =
                org.testng.Assert.expectThrows(IllegalArgumentException.class, action::run);
        assertTrue(e.getMessage().contains(name), e.getMessage());
        assertTrue(e.getMessage().contains(value), e.getMessage());
    }
}
