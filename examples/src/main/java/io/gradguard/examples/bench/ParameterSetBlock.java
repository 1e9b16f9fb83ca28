package io.gradguard.examples.bench;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import ai.djl.training.initializer.Initializer;
import ai.djl.util.PairList;
import java.util.ArrayList;
import java.util.List;

/**
 * A block whose trainable parameters have the shapes of a {@link GradientSet}, and whose forward
 * pass is as cheap as a pass can be that gives every parameter a gradient: {@code x * sum_i
 * sum(p_i)} for an input {@code x} of shape {@code (1, 1)}. It stands in for a model of the set's
 * shapes when only the guard's work after backward is timed.
 */
final class ParameterSetBlock extends AbstractBlock {

    private final List<Parameter> weights = new ArrayList<>();

    /**
     * Creates the block; its parameters start at 1.
     *
     * @param set the shapes of the parameters, in order
     */
    ParameterSetBlock(GradientSet set) {
        int i = 0;
        for (Shape shape : set.shapes()) {
            weights.add(
                    addParameter(
                            Parameter.builder()
                                    .setName("p" + i++)
                                    .setType(Parameter.Type.WEIGHT)
                                    .optShape(shape)
                                    .optInitializer(Initializer.ONES)
                                    .build()));
        }
    }

    @Override
    protected NDList forwardInternal(
            ParameterStore parameterStore,
            NDList inputs,
            boolean training,
            PairList<String, Object> params) {
        NDArray x = inputs.singletonOrThrow();
        NDArray total = null;
        for (Parameter weight : weights) {
            NDArray sum = parameterStore.getValue(weight, x.getDevice(), training).sum();
            total = total == null ? sum : total.add(sum);
        }
        return new NDList(x.mul(total));
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return new Shape[] {inputShapes[0]};
    }
}
