package io.gradguard;

import io.gradguard.clip.StatefulClipStrategy;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Writes a {@link StatefulClipStrategy}'s typed state as text for the checkpoint file, and reads it
 * back exactly. Each value carries a one-letter type tag: {@code b:true}, {@code i:5}, {@code l:5},
 * {@code f:0.1} and {@code d:0.1} (Java's shortest round-trip decimal), {@code s:text}, and {@code
 * D:1.0,2.5} for a {@code double[]}.
 */
final class StrategyStateCodec {

    private StrategyStateCodec() {}

    /** Encodes a typed state map. */
    static Map<String, String> encode(Map<String, Object> state) {
        Map<String, String> out = new LinkedHashMap<>();
        for (Map.Entry<String, Object> e : state.entrySet()) {
            out.put(e.getKey(), encodeValue(e.getKey(), e.getValue()));
        }
        return out;
    }

    /**
     * Decodes an encoded state map.
     *
     * @throws IllegalArgumentException naming the key of a malformed value
     */
    static Map<String, Object> decode(Map<String, String> encoded) {
        Map<String, Object> out = new LinkedHashMap<>();
        for (Map.Entry<String, String> e : encoded.entrySet()) {
            out.put(e.getKey(), decodeValue(e.getKey(), e.getValue()));
        }
        return out;
    }

    private static String encodeValue(String key, Object value) {
        if (value instanceof Boolean b) {
            return "b:" + b;
        } else if (value instanceof Integer i) {
            return "i:" + i;
        } else if (value instanceof Long l) {
            return "l:" + l;
        } else if (value instanceof Float f) {
            return "f:" + f;
        } else if (value instanceof Double d) {
            return "d:" + d;
        } else if (value instanceof String s) {
            return "s:" + s;
        } else if (value instanceof double[] array) {
            StringBuilder sb = new StringBuilder("D:");
            for (int i = 0; i < array.length; i++) {
                sb.append(i == 0 ? "" : ",").append(array[i]);
            }
            return sb.toString();
        }
        throw new IllegalArgumentException(
                "strategy state key " + key + " has an unsupported type: " + value);
    }

    private static Object decodeValue(String key, String text) {
        if (text.length() < 2 || text.charAt(1) != ':') {
            throw new IllegalArgumentException(
                    "strategy state key " + key + " has no type tag: '" + text + "'");
        }
        String body = text.substring(2);
        try {
            return switch (text.charAt(0)) {
                case 'b' -> parseBoolean(body);
                case 'i' -> Integer.parseInt(body);
                case 'l' -> Long.parseLong(body);
                case 'f' -> Float.parseFloat(body);
                case 'd' -> Double.parseDouble(body);
                case 's' -> body;
                case 'D' -> parseDoubles(body);
                default -> throw new IllegalArgumentException("unknown type tag");
            };
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(
                    "strategy state key " + key + " is malformed: '" + text + "' (" + e + ")", e);
        }
    }

    private static Boolean parseBoolean(String body) {
        if (!"true".equals(body) && !"false".equals(body)) {
            throw new IllegalArgumentException("not a boolean");
        }
        return Boolean.valueOf(body);
    }

    private static double[] parseDoubles(String body) {
        if (body.isEmpty()) {
            return new double[0];
        }
        String[] parts = body.split(",", -1);
        double[] out = new double[parts.length];
        for (int i = 0; i < parts.length; i++) {
            out[i] = Double.parseDouble(parts[i]);
        }
        return out;
    }
}
