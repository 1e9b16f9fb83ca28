package io.gradguard.examples.bench;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.modality.nlp.DefaultVocabulary;
import ai.djl.modality.nlp.embedding.TrainableWordEmbedding;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.LambdaBlock;
import ai.djl.nn.Parameter;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.core.Linear;
import ai.djl.nn.recurrent.LSTM;
import ai.djl.util.Pair;
import java.util.ArrayList;
import java.util.List;

/**
 * The churn demo's model architecture: an event embedding (64 event types, 32 dimensions), a
 * two-layer LSTM with 64 hidden units, and a dense layer from the last time step to one logit.
 * Input: a batch of event-id sequences, {@code (batch, time)}, int64; output {@code (batch, 1)}.
 */
public final class BenchLstm {

    /** Distinct event types (rows of the embedding). */
    public static final int EVENT_TYPES = 64;

    /** Embedding width. */
    public static final int EMBEDDING = 32;

    /** LSTM hidden units per layer. */
    public static final int HIDDEN = 64;

    /** Stacked LSTM layers. */
    public static final int LAYERS = 2;

    private BenchLstm() {}

    /**
     * Builds a fresh, uninitialized block.
     *
     * @return embedding, LSTM, last time step, dense
     */
    public static Block newBlock() {
        List<String> events = new ArrayList<>(EVENT_TYPES);
        for (int i = 0; i < EVENT_TYPES; i++) {
            events.add("event" + i);
        }
        return new SequentialBlock()
                .add(
                        TrainableWordEmbedding.builder()
                                .setVocabulary(new DefaultVocabulary(events))
                                .setEmbeddingSize(EMBEDDING)
                                .optUseDefault(false)
                                .build())
                .add(
                        LSTM.builder()
                                .setStateSize(HIDDEN)
                                .setNumLayers(LAYERS)
                                .optBatchFirst(true)
                                .optReturnState(false)
                                .build())
                .add(new LambdaBlock(x -> new NDList(x.head().get(new NDIndex(":, -1, :")))))
                .add(Linear.builder().setUnits(1).build());
    }

    /**
     * Initializes the model on an engine and returns the shapes of its trainable parameters, in the
     * order of {@code Block.getParameters()}.
     *
     * @param engine the DJL engine name, such as {@code "PyTorch"}
     * @param batch the batch size used to initialize
     * @param time the sequence length used to initialize
     * @return the parameter set, labelled with its parameter count
     */
    static GradientSet parameterSet(String engine, int batch, int time) {
        try (Model model = Model.newInstance("bench-lstm-shapes", Device.cpu(), engine);
                NDManager manager = NDManager.newBaseManager(Device.cpu(), engine)) {
            Block block = newBlock();
            model.setBlock(block);
            block.initialize(manager, DataType.FLOAT32, new Shape(batch, time));
            List<Shape> shapes = new ArrayList<>();
            for (Pair<String, Parameter> p : block.getParameters()) {
                if (p.getValue().requiresGradient()) {
                    shapes.add(p.getValue().getArray().getShape());
                }
            }
            long total = shapes.stream().mapToLong(Shape::size).sum();
            return new GradientSet("LSTM (" + shapes.size() + " tensors, " + total + ")", shapes);
        }
    }
}
