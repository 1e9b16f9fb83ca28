package io.gradguard.spi;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Scalar constants (0-d arrays) on the engine and device of a given array. On the PyTorch engine
 * every operation that takes a Java {@code Number} copies it to the device; a cached array costs
 * nothing per step.
 *
 * <p>The cache is bounded: at most {@link #CAPACITY} values per engine, device and dtype, kept for
 * the life of the JVM in a base manager named {@code gradguard-constants}. A cached array is never
 * evicted or closed, so an array handed to a caller stays valid however many other values are
 * requested meanwhile, on any thread. A value that finds no room is created in the manager of the
 * {@code like} array instead, on its device, and is freed with that manager (a step's sub-manager).
 *
 * <p>Two admission rules share the bound:
 *
 * <ul>
 *   <li>{@link #of} and {@link #fp32}, for values fixed by configuration (eps, 1, a strategy's
 *       threshold): cached on first use while there is room.
 *   <li>{@link #argument}, for a value a caller passes anew on every call (a threshold argument of
 *       the functional API): cached only once the same value comes again within the last {@value
 *       #RECENT} requests of its engine and device, so a fixed threshold is cached from its second
 *       call on while a threshold that changes at every call never fills the cache.
 * </ul>
 *
 * <p>Callers must neither modify nor close the returned arrays.
 */
public final class DeviceScalars {

    /** The most values cached per engine, device and dtype. */
    public static final int CAPACITY = 64;

    /** How many recent argument values are remembered to recognise a repeated one. */
    static final int RECENT = 8;

    private static final Map<StoreKey, Store> STORES = new ConcurrentHashMap<>();
    private static final Map<ManagerKey, NDManager> MANAGERS = new ConcurrentHashMap<>();

    private DeviceScalars() {}

    /**
     * Returns a 0-d constant on the device and engine of {@code like}: the cached one, or a new
     * cached one while the cache has room, or else a new array in {@code like}'s manager.
     *
     * @param like an array whose engine and device the constant must share
     * @param dataType the dtype of the constant
     * @param value the value
     * @return a read-only 0-d array, valid at least as long as {@code like}'s manager
     */
    public static NDArray of(NDArray like, DataType dataType, float value) {
        return lookUp(like, dataType, value, false);
    }

    /**
     * Returns a float32 0-d constant on the device and engine of {@code like}; see {@link #of}.
     *
     * @param like an array whose engine and device the constant must share
     * @param value the value
     * @return a read-only 0-d float32 array, valid at least as long as {@code like}'s manager
     */
    public static NDArray fp32(NDArray like, float value) {
        return of(like, DataType.FLOAT32, value);
    }

    /**
     * Returns a float32 0-d array holding a value passed as an argument, which may change at every
     * call: the cached one if the value repeats (see the class comment), otherwise a new array in
     * {@code like}'s manager.
     *
     * @param like an array whose engine and device the value must share
     * @param value the value
     * @return a read-only 0-d float32 array, valid at least as long as {@code like}'s manager
     */
    public static NDArray argument(NDArray like, float value) {
        return lookUp(like, DataType.FLOAT32, value, true);
    }

    /**
     * Returns a new 0-d array in {@code like}'s manager, on {@code like}'s device, never cached.
     *
     * @param like an array whose manager, engine and device the new array must share
     * @param dataType the dtype of the array
     * @param value the value
     * @return a new 0-d array, closed with {@code like}'s manager
     */
    public static NDArray beside(NDArray like, DataType dataType, float value) {
        NDManager manager = like.getManager();
        NDArray array = manager.create(value);
        if (!array.getDevice().equals(like.getDevice())) {
            NDArray moved = array.toDevice(like.getDevice(), false);
            moved.attach(manager);
            array.close();
            array = moved;
        }
        if (dataType != DataType.FLOAT32) {
            NDArray cast = array.toType(dataType, false);
            cast.attach(manager);
            array.close();
            array = cast;
        }
        return array;
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

    /**
     * Returns whether the cache for the engine, device and dtype of {@code like} holds {@link
     * #CAPACITY} values, so that a new value is created beside the caller instead.
     *
     * @param like an array whose engine and device to look at
     * @param dataType the dtype
     * @return whether no new value will be cached
     */
    public static boolean isFull(NDArray like, DataType dataType) {
        Store store =
                STORES.get(
                        new StoreKey(
                                like.getManager().getEngine().getEngineName(),
                                like.getDevice(),
                                dataType));
        if (store == null) {
            return false;
        }
        synchronized (store) {
            return store.arrays.size() >= CAPACITY;
        }
    }

    private static NDArray lookUp(NDArray like, DataType dataType, float value, boolean argument) {
        NDManager likeManager = like.getManager();
        String engine = likeManager.getEngine().getEngineName();
        Device device = like.getDevice();
        Store store =
                STORES.computeIfAbsent(new StoreKey(engine, device, dataType), k -> new Store());
        int bits = Float.floatToRawIntBits(value);
        synchronized (store) {
            NDArray cached = store.arrays.get(bits);
            if (cached != null && !cached.isReleased()) {
                return cached;
            }
            boolean room = cached != null || store.arrays.size() < CAPACITY;
            if (room && (!argument || store.seenRecently(bits))) {
                NDArray created = create(owner(likeManager, engine, device), dataType, value);
                store.arrays.put(bits, created);
                return created;
            }
            if (argument) {
                store.remember(bits);
            }
        }
        return beside(like, dataType, value);
    }

    private static NDArray create(NDManager owner, DataType dataType, float value) {
        NDArray scalar = owner.create(value);
        if (dataType == DataType.FLOAT32) {
            return scalar;
        }
        try (scalar) {
            return scalar.toType(dataType, false);
        }
    }

    /** The cached values of one engine, device and dtype, and its recent argument values. */
    private static final class Store {
        private final Map<Integer, NDArray> arrays = new HashMap<>();
        private final int[] recent = new int[RECENT];
        private int remembered;

        boolean seenRecently(int bits) {
            for (int i = 0; i < Math.min(remembered, RECENT); i++) {
                if (recent[i] == bits) {
                    return true;
                }
            }
            return false;
        }

        void remember(int bits) {
            recent[remembered % RECENT] = bits;
            remembered = remembered == Integer.MAX_VALUE ? RECENT : remembered + 1;
        }
    }

    private record StoreKey(String engine, Device device, DataType dataType) {}

    private record ManagerKey(String engine, Device device) {}
}
