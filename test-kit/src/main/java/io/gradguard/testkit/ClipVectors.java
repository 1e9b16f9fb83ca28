package io.gradguard.testkit;

import ai.djl.ndarray.types.DataType;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The PyTorch reference vectors in {@value #RESOURCE}, written by {@code generate_clip_vectors.py},
 * beside the data (its README describes every field).
 *
 * <p>Numbers are stored as the exact decimal of each float32 or float16 value, so {@link
 * Float#parseFloat} gives back the value PyTorch held; infinities and NaN are the strings {@code
 * "inf"}, {@code "-inf"} and {@code "nan"}.
 */
public final class ClipVectors {

    /** The classpath location of the vectors. */
    public static final String RESOURCE = "/io/gradguard/testkit/vectors/clip_vectors.json";

    /**
     * The float32 norm cases the generator writes ({@code build()} in the script): four gradient
     * sets with p = 1, 2, 3, inf each below and above the threshold plus p = 2, inf at it (4 * 10 =
     * 40), zeros with p = 1, 2, inf (3) and with_empty with p = 1, 2, 3 (3).
     */
    public static final int FLOAT32_NORM_CASES = 46;

    /**
     * The float16 norm cases: mixed_shapes with p = 1, 2, 3, inf below and above plus p = 2 at (9),
     * many_small with p = 2, inf below and above (4), wide_range with four p above (4), overflow
     * (1) and zeros (1).
     */
    public static final int FLOAT16_NORM_CASES = 19;

    /** The value cases: four float32 sets and two float16 sets, one bound each. */
    public static final int VALUE_CASES = 6;

    /**
     * A {@code clip_grad_norm_} case.
     *
     * @param name a unique, descriptive name
     * @param dataType the dtype of the gradients
     * @param normType the p of the norm, {@link Float#POSITIVE_INFINITY} for the max norm
     * @param maxNorm the clipping threshold
     * @param grads the input gradients
     * @param totalNormFp32 the total norm PyTorch returns for the float32 casts of the gradients
     * @param perTensorNormsFp32 {@code torch.linalg.vector_norm} of each float32 cast
     * @param clipCoef the float32 coefficient {@code min(1, maxNorm / (total + 1e-6))} PyTorch
     *     applied
     * @param clipped the gradients after {@code clip_grad_norm_}, in the gradients' dtype
     */
    public record NormCase(
            String name,
            DataType dataType,
            float normType,
            float maxNorm,
            List<HostTensor> grads,
            float totalNormFp32,
            float[] perTensorNormsFp32,
            float clipCoef,
            List<HostTensor> clipped) {

        @Override
        public String toString() {
            return name;
        }
    }

    /**
     * A {@code clip_grad_value_} case.
     *
     * @param name a unique, descriptive name
     * @param dataType the dtype of the gradients
     * @param clipValue the bound
     * @param grads the input gradients
     * @param clipped the gradients after {@code clip_grad_value_}
     */
    public record ValueCase(
            String name,
            DataType dataType,
            float clipValue,
            List<HostTensor> grads,
            List<HostTensor> clipped) {

        @Override
        public String toString() {
            return name;
        }
    }

    private final List<NormCase> normCases;
    private final List<ValueCase> valueCases;

    private ClipVectors(List<NormCase> normCases, List<ValueCase> valueCases) {
        this.normCases = List.copyOf(normCases);
        this.valueCases = List.copyOf(valueCases);
    }

    /**
     * Returns the vectors, read once from the classpath.
     *
     * @return the parsed vectors
     */
    public static ClipVectors get() {
        return Holder.INSTANCE;
    }

    /**
     * Returns every norm-clipping case.
     *
     * @return the cases, in file order
     */
    public List<NormCase> normCases() {
        return normCases;
    }

    /**
     * Returns every value-clipping case.
     *
     * @return the cases, in file order
     */
    public List<ValueCase> valueCases() {
        return valueCases;
    }

    private static final class Holder {
        static final ClipVectors INSTANCE = read();
    }

    private static ClipVectors read() {
        try (InputStream in = ClipVectors.class.getResourceAsStream(RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException(RESOURCE + " is not on the test classpath");
            }
            try (Reader reader = new InputStreamReader(in, StandardCharsets.UTF_8)) {
                JsonObject root = JsonParser.parseReader(reader).getAsJsonObject();
                List<NormCase> norms = new ArrayList<>();
                for (JsonElement e : root.getAsJsonArray("norm_cases")) {
                    norms.add(normCase(e.getAsJsonObject()));
                }
                List<ValueCase> values = new ArrayList<>();
                for (JsonElement e : root.getAsJsonArray("value_cases")) {
                    values.add(valueCase(e.getAsJsonObject()));
                }
                return new ClipVectors(norms, values);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + RESOURCE, e);
        }
    }

    private static NormCase normCase(JsonObject o) {
        return new NormCase(
                o.get("name").getAsString(),
                dataType(o.get("dtype").getAsString()),
                number(o.get("normType")),
                number(o.get("maxNorm")),
                tensors(o.getAsJsonArray("grads")),
                number(o.get("total_norm_fp32")),
                numbers(o.getAsJsonArray("per_tensor_norms_fp32")),
                number(o.get("clip_coef")),
                tensors(o.getAsJsonArray("clipped")));
    }

    private static ValueCase valueCase(JsonObject o) {
        return new ValueCase(
                o.get("name").getAsString(),
                dataType(o.get("dtype").getAsString()),
                number(o.get("clipValue")),
                tensors(o.getAsJsonArray("grads")),
                tensors(o.getAsJsonArray("clipped")));
    }

    private static DataType dataType(String name) {
        return switch (name) {
            case "float32" -> DataType.FLOAT32;
            case "float16" -> DataType.FLOAT16;
            default -> throw new IllegalStateException("unknown dtype in vectors: " + name);
        };
    }

    private static List<HostTensor> tensors(JsonArray array) {
        List<HostTensor> out = new ArrayList<>(array.size());
        for (JsonElement e : array) {
            JsonObject o = e.getAsJsonObject();
            JsonArray shape = o.getAsJsonArray("shape");
            long[] dims = new long[shape.size()];
            for (int i = 0; i < dims.length; i++) {
                dims[i] = shape.get(i).getAsLong();
            }
            out.add(new HostTensor(dims, numbers(o.getAsJsonArray("values"))));
        }
        return out;
    }

    private static float[] numbers(JsonArray array) {
        float[] out = new float[array.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = number(array.get(i));
        }
        return out;
    }

    private static float number(JsonElement e) {
        if (e.getAsJsonPrimitive().isString()) {
            return switch (e.getAsString()) {
                case "inf" -> Float.POSITIVE_INFINITY;
                case "-inf" -> Float.NEGATIVE_INFINITY;
                case "nan" -> Float.NaN;
                default -> throw new IllegalStateException("not a number: " + e);
            };
        }
        return Float.parseFloat(e.getAsString());
    }
}
