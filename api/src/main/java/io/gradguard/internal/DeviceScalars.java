package io.gradguard.internal;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Scalar constants (0-d arrays) created once per engine, device, dtype and value, and kept for the
 * life of the JVM. On the PyTorch engine every operation that takes a Java {@code Number} copies it
 * to the device; a cached array costs nothing per step.
 *
 * <p>The cache holds a handful of values (eps, 1, the configured thresholds); callers must not
 * modify the returned arrays.
 */
public final class DeviceScalars {

    private static final Map<Key, NDArray> CACHE = new ConcurrentHashMap<>();
    private static final Map<ManagerKey, NDManager> MANAGERS = new ConcurrentHashMap<>();

    private DeviceScalars() {}

    /**
     * Returns a cached 0-d constant on the device and engine of {@code like}.
     *
     * @param like an array whose engine and device the constant must share
     * @param dataType the dtype of the constant
     * @param value the value
     * @return a shared, read-only 0-d array
     */
    public static NDArray of(NDArray like, DataType dataType, float value) {
        NDManager likeManager = like.getManager();
        String engine = likeManager.getEngine().getEngineName();
        Device device = like.getDevice();
        Key key = new Key(engine, device, dataType, Float.floatToRawIntBits(value));
        return CACHE.computeIfAbsent(key, k -> create(k, likeManager));
    }

    /**
     * Returns a cached float32 0-d constant on the device and engine of {@code like}.
     *
     * @param like an array whose engine and device the constant must share
     * @param value the value
     * @return a shared, read-only 0-d float32 array
     */
    public static NDArray fp32(NDArray like, float value) {
        return of(like, DataType.FLOAT32, value);
    }

    /**
     * Returns the long-lived manager that holds constants for the engine and device of {@code
     * like}; arrays created in it live until closed explicitly.
     *
     * @param like an array whose engine and device the manager must serve
     * @return the shared constants manager
     */
    public static NDManager owner(NDArray like) {
        NDManager likeManager = like.getManager();
        return owner(likeManager, likeManager.getEngine().getEngineName(), like.getDevice());
    }

    private static NDManager owner(NDManager likeManager, String engine, Device device) {
        return MANAGERS.computeIfAbsent(
                new ManagerKey(engine, device),
                k -> {
                    NDManager m = likeManager.getEngine().newBaseManager(k.device);
                    m.setName("gradguard-constants");
                    return m;
                });
    }

    private static NDArray create(Key key, NDManager likeManager) {
        NDManager owner = owner(likeManager, key.engine, key.device);
        NDArray scalar = owner.create(Float.intBitsToFloat(key.bits));
        if (key.dataType == DataType.FLOAT32) {
            return scalar;
        }
        try (scalar) {
            return scalar.toType(key.dataType, false);
        }
    }

    private record Key(String engine, Device device, DataType dataType, int bits) {}

    private record ManagerKey(String engine, Device device) {}
}
