package io.gradguard.it;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.internal.NDArrayEx;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Counts the device-to-host reads made on NDArrays that it {@link #wrap wraps}, and on every array
 * derived from them.
 *
 * <p>DJL has no hook that reports a transfer to the host, and its arrays are engine classes ({@code
 * PtNDArray}, {@code MxNDArray}) that the engines cast to. What can be observed is the Java call
 * that asks for values: every such call goes through one of the {@link NDArray} methods listed in
 * {@link #READS} ({@code toFloatArray}, {@code getFloat}, {@code toByteBuffer}, {@code
 * toString}...). So a wrapped array is a {@link java.lang.reflect.Proxy} of the {@link NDArray}
 * interface around the real array that:
 *
 * <ul>
 *   <li>counts a call of a read method, then forwards it;
 *   <li>forwards every other call to the real array with wrapped arguments unwrapped, and wraps
 *       what it returns (an array, the arrays of an {@link NDList}, or the {@link NDArrayEx} that
 *       {@code NDArrays.stack} and {@code concat} go through), so derived arrays are counted too;
 *       an in-place operation returns the same wrapper.
 * </ul>
 *
 * <p>The boundary: an engine receives only real arrays. {@link HostSyncCountingOps} unwraps before
 * calling the real {@code GradientOps}; but code such as {@code constant.div(wrapped)} hands a
 * wrapper to a real array, and the engine then converts it with {@code NDManager.from}, which
 * copies the values through the host ({@code toByteBuffer}). Such a copy exists only because the
 * test substituted a wrapper for an engine array: with the real array, {@code from} returns it
 * unchanged (it tests {@code instanceof PtNDArray} / {@code MxNDArray}). It is counted apart, as a
 * {@linkplain #conversions() conversion}, when the caller is the {@code from} method of the very
 * manager class that owns the wrapped array; a conversion into another engine is a real read and
 * counts as one.
 *
 * <p>Not observed: reads of arrays that never came out of a wrapper. These are the gradient handles
 * the listener collects itself, the arrays inside a {@code GradientOps} implementation (it works on
 * real arrays), and the result of a real array's operation on a wrapper argument, which is that
 * real array's own result: in {@code ClipMath.coefficient} the quotient {@code maxNorm / (norm +
 * eps)}, and so the coefficient. The bytecode scan of {@code HostSyncClipPathTest} covers the
 * classes where these arrays live.
 */
final class HostSyncCounter {

    /** The {@link NDArray} methods that copy values to the host. */
    static final Set<String> READS =
            Set.of(
                    "toByteBuffer",
                    "toArray",
                    "toFloatArray",
                    "toDoubleArray",
                    "toIntArray",
                    "toLongArray",
                    "toByteArray",
                    "toShortArray",
                    "toUnsignedShortArray",
                    "toUnsignedIntArray",
                    "toUint8Array",
                    "toBooleanArray",
                    "toStringArray",
                    "getFloat",
                    "getDouble",
                    "getInt",
                    "getLong",
                    "getByte",
                    "getUint8",
                    "getBoolean",
                    "contentEquals",
                    "allClose",
                    "encode",
                    "toString",
                    "toDebugString",
                    "copyTo",
                    "getAsBytes",
                    "getAsString",
                    "getAsObject");

    /**
     * The {@link NDArray} methods that return something other than an array and read only metadata,
     * or hand over ownership; every other such method counts as a read.
     */
    static final Set<String> METADATA =
            Set.of(
                    "getName",
                    "setName",
                    "getUid",
                    "getDataType",
                    "getDevice",
                    "getShape",
                    "getSparseFormat",
                    "isSparse",
                    "isScalar",
                    "size",
                    "hasGradient",
                    "setRequiresGradient",
                    "isReleased",
                    "isEmpty",
                    "shapeEquals",
                    "getManager",
                    "getResourceNDArrays",
                    "attach",
                    "tempAttach",
                    "detach",
                    "returnResource",
                    "close",
                    "set",
                    "setScalar",
                    "hashCode",
                    "equals");

    private int reads;
    private int conversions;
    private final List<String> log = Collections.synchronizedList(new ArrayList<>());

    /**
     * Returns a counting wrapper around an array (the array itself if it is already wrapped by this
     * counter, null for null).
     *
     * @param array the real array or a wrapper
     * @return the wrapper
     */
    NDArray wrap(NDArray array) {
        if (array == null) {
            return null;
        }
        if (handlerOf(array).map(h -> h.counter() == this).orElse(false)) {
            return array;
        }
        NDArray real = unwrap(array);
        return (NDArray)
                Proxy.newProxyInstance(
                        HostSyncCounter.class.getClassLoader(),
                        new Class<?>[] {NDArray.class},
                        new HostSyncProxyHandler(this, real));
    }

    /**
     * Returns the wrappers of a list of arrays.
     *
     * @param arrays real arrays or wrappers
     * @return the wrappers, in order
     */
    List<NDArray> wrapAll(List<NDArray> arrays) {
        List<NDArray> out = new ArrayList<>(arrays.size());
        for (NDArray a : arrays) {
            out.add(wrap(a));
        }
        return out;
    }

    /**
     * Returns the real array behind a wrapper, or the argument itself when it is not one.
     *
     * @param array an array or a wrapper
     * @return the real array
     */
    static NDArray unwrap(NDArray array) {
        return handlerOf(array).map(h -> (NDArray) h.target()).orElse(array);
    }

    /**
     * Returns the real arrays behind a list of wrappers.
     *
     * @param arrays arrays or wrappers
     * @return the real arrays, in order
     */
    static List<NDArray> unwrapAll(List<NDArray> arrays) {
        List<NDArray> out = new ArrayList<>(arrays.size());
        for (NDArray a : arrays) {
            out.add(unwrap(a));
        }
        return out;
    }

    /**
     * Tells whether an array is a counting wrapper.
     *
     * @param array the array
     * @return true for a wrapper of any counter
     */
    static boolean isWrapped(NDArray array) {
        return handlerOf(array).isPresent();
    }

    /**
     * Returns the reads counted so far.
     *
     * @return the count
     */
    synchronized int reads() {
        return reads;
    }

    /**
     * Returns the conversions counted so far: engine copies of a wrapper handed to an array of its
     * own engine, which the real array would not need.
     *
     * @return the count
     */
    synchronized int conversions() {
        return conversions;
    }

    /**
     * Returns what was counted, one line per read or conversion: the method and the caller.
     *
     * @return a copy of the log
     */
    List<String> log() {
        synchronized (log) {
            return List.copyOf(log);
        }
    }

    /**
     * Counts one read, or one conversion.
     *
     * @param conversion whether it is an engine's copy of a wrapper handed to it
     * @param line what to log: the method and the caller
     */
    synchronized void count(boolean conversion, String line) {
        if (conversion) {
            conversions++;
        } else {
            reads++;
        }
        log.add((conversion ? "conversion " : "read ") + line);
    }

    static Optional<HostSyncProxyHandler> handlerOf(Object object) {
        if (object != null && Proxy.isProxyClass(object.getClass())) {
            InvocationHandler h = Proxy.getInvocationHandler(object);
            if (h instanceof HostSyncProxyHandler handler) {
                return Optional.of(handler);
            }
        }
        return Optional.empty();
    }
}
