/**
 * The fine-tuning example: a pretrained backbone loaded from disk, a new head, float16 with float32
 * master weights from the checkpoint's values, gradual unfreezing on one trainer, global-norm
 * clipping, AdamW, checkpoints and resume. Entry point: {@link
 * io.gradguard.examples.finetune.FineTuneDemo}.
 *
 * <p>The backbone is a DJL model (an MLP) that the first run trains on a pretext task and saves
 * with {@code model.save}; later runs load it, as a fine-tuning job loads a backbone trained
 * earlier. An LSTM backbone would need one more step in float16: DJL's {@code LSTM} builds float32
 * zero states unless float16 initial states are passed ({@code new NDList(input, h0, c0)}), and
 * then fails on the mixed types.
 */
package io.gradguard.examples.finetune;
