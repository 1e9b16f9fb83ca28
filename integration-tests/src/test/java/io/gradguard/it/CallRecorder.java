package io.gradguard.it;

import ai.djl.ndarray.NDArray;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Wraps arrays in proxies that record every method called on them and forward it to the real array,
 * to check that a refusal came before any operation: only metadata getters may have run.
 */
final class CallRecorder {

    /** Methods that read Java-side metadata and start no operation on the array's data. */
    static final Set<String> METADATA =
            Set.of(
                    "getManager",
                    "getDataType",
                    "getDevice",
                    "getShape",
                    "isReleased",
                    "getName",
                    "getUid",
                    "toString");

    private final List<String> calls = new ArrayList<>();

    /** Returns a recording proxy of {@code real}. */
    NDArray wrap(NDArray real) {
        return (NDArray)
                Proxy.newProxyInstance(
                        NDArray.class.getClassLoader(),
                        new Class<?>[] {NDArray.class},
                        (proxy, method, args) -> {
                            String name = method.getName();
                            if (name.equals("equals") && args != null && args.length == 1) {
                                return proxy == args[0];
                            }
                            if (name.equals("hashCode") && args == null) {
                                return System.identityHashCode(proxy);
                            }
                            calls.add(name);
                            try {
                                return method.invoke(real, args);
                            } catch (InvocationTargetException e) {
                                throw e.getCause();
                            }
                        });
    }

    /** Returns the recorded calls that are not metadata getters, in order. */
    List<String> operations() {
        return calls.stream().filter(c -> !METADATA.contains(c)).toList();
    }

    /** Returns every recorded call, in order. */
    List<String> calls() {
        return List.copyOf(calls);
    }
}
