package io.gradguard.examples.finetune;

import io.gradguard.StepReport;

/**
 * One optimizer step of the fine-tuning run: its phase, the training loss of its batch (before the
 * update) and the guard's report.
 *
 * @param phase the unfreezing phase
 * @param loss the batch's unscaled training loss
 * @param trainable the number of trainable parameters at this step
 * @param report the guard's report of the step
 */
record StepRecord(Phase phase, float loss, int trainable, StepReport report) {}
