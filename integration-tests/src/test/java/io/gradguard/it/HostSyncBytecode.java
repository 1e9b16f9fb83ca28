package io.gradguard.it;

import ai.djl.ndarray.NDArray;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.spi.ToolProvider;
import org.testng.SkipException;

/**
 * Finds the calls of {@link HostSyncCounter#READS read methods} on {@code NDArray} types in the
 * bytecode of a class and its nested classes, with the JDK's {@code javap}. The owner of each call
 * is resolved by name, so {@code List.toArray} or {@code Arrays.toString} are not mistaken for
 * reads.
 */
final class HostSyncBytecode {

    private static final Pattern CALL =
            Pattern.compile("// (?:Interface)?Method ([\\w/$]+)\\.(\\w+):");

    private HostSyncBytecode() {}

    /**
     * Returns {@code owner.method} for every call of a read method on an {@code NDArray} type in
     * the class and its nested classes, in bytecode order.
     *
     * @param className the binary name of a class on the test class path
     * @return the calls, such as {@code "ai/djl/ndarray/NDArray.toFloatArray"}
     */
    static List<String> readCalls(String className) {
        ToolProvider javap =
                ToolProvider.findFirst("javap")
                        .orElseThrow(() -> new SkipException("javap needs a JDK"));
        List<String> calls = new ArrayList<>();
        try {
            Class<?> type = Class.forName(className);
            List<Class<?>> all = new ArrayList<>();
            all.add(type);
            collectNested(type, all);
            Path dir = Files.createTempDirectory("gradguard-javap");
            for (Class<?> c : all) {
                Path file = dir.resolve(c.getName() + ".class");
                String resource = "/" + c.getName().replace('.', '/') + ".class";
                try (InputStream in = c.getResourceAsStream(resource)) {
                    Files.copy(in, file);
                }
                StringWriter out = new StringWriter();
                int rc =
                        javap.run(
                                new PrintWriter(out),
                                new PrintWriter(new StringWriter()),
                                "-c",
                                "-p",
                                file.toString());
                if (rc != 0) {
                    throw new IllegalStateException("javap failed on " + c.getName());
                }
                Matcher m = CALL.matcher(out.toString());
                while (m.find()) {
                    String owner = m.group(1);
                    String method = m.group(2);
                    if (HostSyncCounter.READS.contains(method) && isArrayType(owner)) {
                        calls.add(owner + "." + method);
                    }
                }
                Files.delete(file);
            }
            Files.delete(dir);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (ClassNotFoundException e) {
            throw new IllegalStateException(className + " is not on the test class path", e);
        }
        return calls;
    }

    private static void collectNested(Class<?> type, List<Class<?>> into) {
        for (Class<?> nested : type.getDeclaredClasses()) {
            into.add(nested);
            collectNested(nested, into);
        }
    }

    private static boolean isArrayType(String internalName) {
        try {
            Class<?> owner =
                    Class.forName(
                            internalName.replace('/', '.'),
                            false,
                            HostSyncBytecode.class.getClassLoader());
            return NDArray.class.isAssignableFrom(owner);
        } catch (ClassNotFoundException | LinkageError e) {
            return false;
        }
    }
}
