package io.gradguard.it;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.internal.NDArrayEx;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;

/**
 * The invocation handler of {@link HostSyncCounter}'s wrappers, for both kinds of proxy: {@link
 * NDArray} and {@link NDArrayEx}. It counts reads, forwards every call to the real object with
 * wrapped arguments unwrapped, and wraps what comes back.
 */
final class HostSyncProxyHandler implements InvocationHandler {

    private final HostSyncCounter counter;
    private final Object target;

    HostSyncProxyHandler(HostSyncCounter counter, Object target) {
        this.counter = counter;
        this.target = target;
    }

    HostSyncCounter counter() {
        return counter;
    }

    Object target() {
        return target;
    }

    @Override
    public Object invoke(Object proxy, Method method, Object[] args) throws Throwable {
        String name = method.getName();
        if (name.equals("equals") && args != null && args.length == 1) {
            return proxy == args[0];
        }
        if (name.equals("hashCode") && (args == null || args.length == 0)) {
            return System.identityHashCode(proxy);
        }
        if (target instanceof NDArray array && isRead(method)) {
            StackWalker.StackFrame caller = caller();
            boolean conversion =
                    name.equals("toByteBuffer")
                            && caller != null
                            && caller.getMethodName().equals("from")
                            && NDManager.class.isAssignableFrom(caller.getDeclaringClass())
                            && caller.getDeclaringClass().isInstance(array.getManager());
            counter.count(conversion, name + " from " + caller);
        }
        Object result;
        try {
            result = method.invoke(target, unwrapArguments(args));
        } catch (InvocationTargetException e) {
            throw e.getCause();
        }
        return wrapResult(proxy, result);
    }

    private Object wrapResult(Object proxy, Object result) {
        if (result == null) {
            return null;
        }
        if (result == target) {
            return proxy;
        }
        if (result instanceof NDArray array) {
            return counter.wrap(array);
        }
        if (result instanceof NDList list) {
            NDList wrapped = new NDList(list.size());
            for (NDArray a : list) {
                wrapped.add(counter.wrap(a));
            }
            return wrapped;
        }
        if (result instanceof NDArrayEx ex) {
            return Proxy.newProxyInstance(
                    HostSyncCounter.class.getClassLoader(),
                    new Class<?>[] {NDArrayEx.class},
                    new HostSyncProxyHandler(counter, ex));
        }
        return result;
    }

    private static Object[] unwrapArguments(Object[] args) {
        if (args == null) {
            return null;
        }
        Object[] out = args.clone();
        for (int i = 0; i < out.length; i++) {
            if (out[i] instanceof NDArray array) {
                out[i] = HostSyncCounter.unwrap(array);
            } else if (out[i] instanceof NDList list) {
                NDList real = new NDList(list.size());
                for (NDArray a : list) {
                    real.add(HostSyncCounter.unwrap(a));
                }
                out[i] = real;
            } else if (out[i] instanceof NDArray[] arrays) {
                NDArray[] real = new NDArray[arrays.length];
                for (int k = 0; k < arrays.length; k++) {
                    real[k] = HostSyncCounter.unwrap(arrays[k]);
                }
                out[i] = real;
            }
        }
        return out;
    }

    /** A read: a listed read method, or any unlisted method returning a non-array value. */
    private static boolean isRead(Method method) {
        String name = method.getName();
        if (HostSyncCounter.READS.contains(name)) {
            return true;
        }
        if (HostSyncCounter.METADATA.contains(name)) {
            return false;
        }
        Class<?> type = method.getReturnType();
        return type != void.class
                && !NDArray.class.isAssignableFrom(type)
                && !NDList.class.isAssignableFrom(type)
                && !NDArrayEx.class.isAssignableFrom(type);
    }

    /** Returns the first frame outside the proxy machinery: who asked for the values. */
    private static StackWalker.StackFrame caller() {
        return StackWalker.getInstance(StackWalker.Option.RETAIN_CLASS_REFERENCE)
                .walk(
                        frames ->
                                frames.filter(f -> !isMachinery(f.getDeclaringClass()))
                                        .findFirst()
                                        .orElse(null));
    }

    private static boolean isMachinery(Class<?> type) {
        String name = type.getName();
        return type == HostSyncProxyHandler.class
                || type == HostSyncCounter.class
                || Proxy.isProxyClass(type)
                || name.startsWith("jdk.proxy")
                || name.startsWith("java.lang.reflect.")
                || name.startsWith("jdk.internal.reflect.")
                || name.equals("ai.djl.ndarray.NDArray");
    }
}
