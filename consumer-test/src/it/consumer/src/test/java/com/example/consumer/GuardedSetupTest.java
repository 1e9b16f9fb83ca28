package com.example.consumer;

import static org.testng.Assert.assertSame;

import ai.djl.training.DefaultTrainingConfig;

import io.gradguard.ClippingTrainingListener;

import org.testng.annotations.Test;

public class GuardedSetupTest {

    @Test
    public void configRunsTheGuardFirst() {
        ClippingTrainingListener guard = GuardedSetup.guard();
        DefaultTrainingConfig config = GuardedSetup.config(guard);
        assertSame(config.getTrainingListeners().get(0), guard);
    }
}
