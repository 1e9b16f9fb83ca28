/**
 * Micrometer meters for GradGuard: {@link io.gradguard.micrometer.GradGuardMetrics} observes a
 * guard's steps and alerts and publishes them to any {@code MeterRegistry}; {@link
 * io.gradguard.micrometer.PrometheusScrape} writes a Prometheus registry's scrape to a file.
 */
package io.gradguard.micrometer;
