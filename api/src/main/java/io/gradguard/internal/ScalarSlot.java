package io.gradguard.internal;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import io.gradguard.spi.DeviceScalars;
import java.util.HashMap;
import java.util.Map;

/**
 * A float32 device scalar whose value changes now and then (a loss scale): one array per engine and
 * device, replaced (and the old one closed) only when the value changes, so a long run with a
 * moving value holds a constant number of arrays and copies to the device only on a change.
 */
public final class ScalarSlot {

    private final Map<Key, Entry> entries = new HashMap<>();

    /**
     * Returns a 0-d float32 array holding {@code value} on the engine and device of {@code like}.
     * The array stays valid until the next call with a different value; callers must not close or
     * modify it.
     *
     * @param like an array whose engine and device the scalar must share
     * @param value the current value
     * @return the scalar
     */
    public synchronized NDArray get(NDArray like, float value) {
        Key key = new Key(like.getManager().getEngine().getEngineName(), like.getDevice());
        int bits = Float.floatToRawIntBits(value);
        Entry entry = entries.get(key);
        if (entry != null && entry.bits == bits && !entry.array.isReleased()) {
            return entry.array;
        }
        if (entry != null) {
            entry.array.close();
        }
        NDArray array = DeviceScalars.owner(like).create(value);
        entries.put(key, new Entry(bits, array));
        return array;
    }

    /** Closes the arrays this slot holds; the next {@link #get} creates a new one. */
    public synchronized void release() {
        for (Entry entry : entries.values()) {
            entry.array.close();
        }
        entries.clear();
    }

    private record Key(String engine, Device device) {}

    private record Entry(int bits, NDArray array) {}
}
