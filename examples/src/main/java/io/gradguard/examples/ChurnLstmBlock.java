package io.gradguard.examples;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.ndarray.types.SparseFormat;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.Dropout;
import ai.djl.nn.recurrent.LSTM;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;

/**
 * The churn model: event-type embeddings, a stacked LSTM with a residual connection, pooling over
 * the window weighted by the padding mask, dropout and one logit.
 *
 * <pre>
 * x_t    = E[type_t]                                  (embedding, size H)
 * h_t    = LSTM_L(x_1 .. x_t)                         (L stacked layers, state size H)
 * pooled = (1 / T) * sum_t mask_t * (h_t + x_t)       (residual, masked mean over the window)
 * logit  = w . dropout(pooled) + b                    (trained with sigmoid cross-entropy on logits)
 * </pre>
 *
 * With a correct 0/1 mask {@code pooled} is an average of bounded vectors. With the data's buggy
 * mask (daily event counts, see {@link ChurnDataGenerator}) a power user's pooled vector is
 * hundreds of times larger; the residual path makes the logit bilinear in the output weights and
 * the embeddings, with no saturating gate in between, so its gradient is too.
 *
 * <p>Inputs: {@code [eventTypes int32 (B, T), mask (B, T)]}; output: {@code [logits (B, 1)]}.
 */
public final class ChurnLstmBlock extends AbstractBlock {

    private static final byte VERSION = 1;

    private final int hidden;
    private final int layers;
    private final Parameter embedding;
    private final Block lstm;
    private final Block dropout;
    private final Block output;

    /**
     * Creates the block.
     *
     * @param hidden the embedding and LSTM state size, {@code >= 1}
     * @param layers the number of stacked LSTM layers, {@code >= 1}
     * @param dropRate the dropout rate before the output, in [0, 1)
     * @throws IllegalArgumentException naming a value out of range
     */
    public ChurnLstmBlock(int hidden, int layers, float dropRate) {
        super(VERSION);
        if (hidden < 1) {
            throw new IllegalArgumentException("hidden must be >= 1, got " + hidden);
        }
        if (layers < 1) {
            throw new IllegalArgumentException("layers must be >= 1, got " + layers);
        }
        if (!(dropRate >= 0 && dropRate < 1)) {
            throw new IllegalArgumentException("dropRate must be in [0, 1), got " + dropRate);
        }
        this.hidden = hidden;
        this.layers = layers;
        embedding =
                addParameter(
                        Parameter.builder()
                                .setName("embedding")
                                .setType(Parameter.Type.WEIGHT)
                                .optShape(new Shape(EventType.vocabularySize(), hidden))
                                .build());
        lstm =
                addChildBlock(
                        "lstm",
                        LSTM.builder()
                                .setStateSize(hidden)
                                .setNumLayers(layers)
                                .optBatchFirst(true)
                                .optReturnState(false)
                                .build());
        dropout = addChildBlock("dropout", Dropout.builder().optRate(dropRate).build());
        output = addChildBlock("output", Linear.builder().setUnits(1).build());
    }

    /** {@inheritDoc} */
    @Override
    protected NDList forwardInternal(
            ParameterStore parameterStore,
            NDList inputs,
            boolean training,
            PairList<String, Object> params) {
        NDArray types = inputs.get(0);
        NDArray table = parameterStore.getValue(embedding, types.getDevice(), training);
        NDArray x = types.getNDArrayInternal().embedding(types, table, SparseFormat.DENSE).head();
        NDArray mask = inputs.get(1).toType(x.getDataType(), false).expandDims(2);
        // Initial states in the model's dtype: DJL's LSTM would create float32 zeros, which a
        // float16 model on PyTorch rejects.
        Shape state = new Shape(layers, types.getShape().get(0), hidden);
        NDList lstmInputs =
                new NDList(
                        x,
                        x.getManager().zeros(state, x.getDataType()),
                        x.getManager().zeros(state, x.getDataType()));
        NDArray h = lstm.forward(parameterStore, lstmInputs, training, params).head();
        NDArray pooled = h.add(x).mul(mask).mean(new int[] {1});
        NDList dropped = dropout.forward(parameterStore, new NDList(pooled), training, params);
        return output.forward(parameterStore, dropped, training, params);
    }

    /** {@inheritDoc} */
    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return new Shape[] {new Shape(inputShapes[0].get(0), 1)};
    }

    /** {@inheritDoc} */
    @Override
    protected void initializeChildBlocks(
            NDManager manager, DataType dataType, Shape... inputShapes) {
        Shape sequence = inputShapes[0];
        Shape pooled = new Shape(sequence.get(0), hidden);
        lstm.initialize(manager, dataType, new Shape(sequence.get(0), sequence.get(1), hidden));
        dropout.initialize(manager, dataType, pooled);
        output.initialize(manager, dataType, pooled);
    }
}
