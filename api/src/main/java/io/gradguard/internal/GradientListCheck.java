package io.gradguard.internal;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.util.NativeResource;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The checks of a gradient list handed to the functional API, all on the Java side and before any
 * native operation, so that a bad list gets an {@link IllegalArgumentException} naming the index
 * instead of an engine traceback, a silent truncation or a closed array.
 *
 * <p>A list is valid when it is not empty and, for every index {@code i}: {@code grads[i]} is not
 * null and not closed; it belongs to the engine of {@code grads[0]}; its dtype is float32 or
 * float16; it is on the device of {@code grads[0]}; and it appears once (no other index holds the
 * same {@code NDArray} object or the same native handle).
 */
public final class GradientListCheck {

    private GradientListCheck() {}

    /**
     * Checks a gradient list; see the class comment for the rules.
     *
     * @param grads the gradients
     * @throws NullPointerException if {@code grads} is null
     * @throws IllegalArgumentException naming the first index that breaks a rule
     */
    public static void check(List<NDArray> grads) {
        Objects.requireNonNull(grads, "grads");
        if (grads.isEmpty()) {
            throw new IllegalArgumentException("grads is empty: pass at least one gradient");
        }
        Map<NDArray, Integer> seen = new IdentityHashMap<>();
        Map<Object, Integer> handles = new HashMap<>();
        String engine = null;
        Device device = null;
        for (int i = 0; i < grads.size(); i++) {
            NDArray grad = grads.get(i);
            if (grad == null) {
                throw new IllegalArgumentException("grads[" + i + "] is null");
            }
            Integer same = seen.putIfAbsent(grad, i);
            if (same != null) {
                throw duplicate(same, i, "the same NDArray");
            }
            if (grad.isReleased()) {
                throw new IllegalArgumentException("grads[" + i + "] is closed");
            }
            String gradEngine = grad.getManager().getEngine().getEngineName();
            if (engine == null) {
                engine = gradEngine;
            } else if (!engine.equals(gradEngine)) {
                throw new IllegalArgumentException(
                        "grads must all belong to one engine: grads[0] is a "
                                + engine
                                + " array, grads["
                                + i
                                + "] a "
                                + gradEngine
                                + " array");
            }
            if (grad instanceof NativeResource<?> resource) {
                same = handles.putIfAbsent(resource.getHandle(), i);
                if (same != null) {
                    throw duplicate(same, i, "the same native handle");
                }
            }
            DataType dataType = grad.getDataType();
            if (dataType != DataType.FLOAT32 && dataType != DataType.FLOAT16) {
                throw new IllegalArgumentException(
                        "grads["
                                + i
                                + "] has dtype "
                                + dataType
                                + ": gradients must be float32 or float16");
            }
            if (device == null) {
                device = grad.getDevice();
            } else if (!grad.getDevice().equals(device)) {
                throw new IllegalArgumentException(
                        "grads must all be on one device: grads[0] is on "
                                + device
                                + ", grads["
                                + i
                                + "] on "
                                + grad.getDevice()
                                + ". Move them with toDevice(...) or clip each device's set"
                                + " separately.");
            }
        }
    }

    private static IllegalArgumentException duplicate(int first, int second, String what) {
        return new IllegalArgumentException(
                "grads["
                        + first
                        + "] and grads["
                        + second
                        + "] are "
                        + what
                        + ": each gradient must appear once, or it would be scaled twice");
    }
}
