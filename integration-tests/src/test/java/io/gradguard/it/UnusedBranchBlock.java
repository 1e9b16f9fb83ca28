package io.gradguard.it;

import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Block;
import ai.djl.nn.core.Linear;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;

/**
 * A block with two children of which forward uses only the first: the second's parameters require a
 * gradient but never receive one.
 */
final class UnusedBranchBlock extends AbstractBlock {

    private final Block used;
    private final Block unused;

    UnusedBranchBlock() {
        super((byte) 1);
        used = addChildBlock("used", Linear.builder().setUnits(4).build());
        unused = addChildBlock("unused", Linear.builder().setUnits(3).build());
    }

    Block unused() {
        return unused;
    }

    @Override
    protected NDList forwardInternal(
            ParameterStore parameterStore,
            NDList inputs,
            boolean training,
            PairList<String, Object> params) {
        return used.forward(parameterStore, inputs, training, params);
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return used.getOutputShapes(inputShapes);
    }

    @Override
    protected void initializeChildBlocks(
            NDManager manager, DataType dataType, Shape... inputShapes) {
        used.initialize(manager, dataType, inputShapes);
        unused.initialize(manager, dataType, inputShapes);
    }
}
