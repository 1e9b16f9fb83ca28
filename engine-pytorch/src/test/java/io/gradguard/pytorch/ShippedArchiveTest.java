package io.gradguard.pytorch;

import static org.testng.Assert.assertEquals;
import static org.testng.Assert.assertFalse;
import static org.testng.Assert.assertNotNull;
import static org.testng.Assert.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import org.testng.annotations.Test;

/**
 * Ties the shipped TorchScript archive to the code checked in beside the tests, which {@code
 * engine-pytorch/src/main/torchscript/gradguard_ops.py} writes together with the archive ({@code
 * --check} there re-scripts the module and compares both with the source).
 */
public class ShippedArchiveTest {

    private static final String CHECKED_IN_CODE = "gradguard_ops.code.txt";

    @Test
    public void shippedArchiveHoldsTheCheckedInCode() throws IOException {
        String expected = readResource(CHECKED_IN_CODE);
        assertFalse(expected.isEmpty(), "checked-in code is empty");
        assertEquals(
                archiveCode(),
                expected,
                "regenerate with engine-pytorch/src/main/torchscript/gradguard_ops.py");
    }

    @Test
    public void everyMethodTheJavaSideCallsIsDefined() throws IOException {
        String code = archiveCode();
        List<String> methods =
                List.of(
                        TorchScriptOps.PER_TENSOR_NORMS,
                        TorchScriptOps.TOTAL_NORM,
                        TorchScriptOps.SCALE,
                        TorchScriptOps.CLIP_BY_GLOBAL_NORM,
                        TorchScriptOps.UNSCALE_AND_CHECK,
                        TorchScriptOps.NON_FINITE_FLAG,
                        TorchScriptOps.ZERO,
                        TorchScriptOps.CLAMP,
                        TorchScriptOps.SET_DATA);
        for (String method : methods) {
            assertTrue(
                    code.contains("  def " + method + "(self"), method + " is not in the archive");
        }
    }

    /**
     * Returns the archive's compiled source the way the generator prints it: each {@code .py} entry
     * below {@code code/}, sorted by that relative path, after a {@code # file: } line.
     */
    private static String archiveCode() throws IOException {
        // PyTorch stores entries uncompressed with data descriptors, which ZipInputStream
        // rejects; ZipFile reads the central directory instead, so it needs a file.
        Path copy = Files.createTempFile("gradguard_ops", ".pt");
        try {
            try (InputStream in =
                    TorchScriptOps.class.getResourceAsStream(TorchScriptOps.RESOURCE)) {
                assertNotNull(in, "archive missing from the class path");
                Files.copy(in, copy, StandardCopyOption.REPLACE_EXISTING);
            }
            Map<String, String> entries = new TreeMap<>();
            try (ZipFile zip = new ZipFile(copy.toFile())) {
                for (ZipEntry e : Collections.list(zip.entries())) {
                    String name = e.getName();
                    int marker = name.indexOf("/code/");
                    if (marker >= 0 && name.endsWith(".py")) {
                        try (InputStream in = zip.getInputStream(e)) {
                            String text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
                            entries.put(name.substring(marker + "/code/".length()), text);
                        }
                    }
                }
            }
            StringBuilder out = new StringBuilder();
            entries.forEach(
                    (path, text) -> out.append("# file: ").append(path).append('\n').append(text));
            return out.toString();
        } finally {
            Files.delete(copy);
        }
    }

    private static String readResource(String name) throws IOException {
        try (InputStream in = ShippedArchiveTest.class.getResourceAsStream(name)) {
            assertNotNull(in, name + " missing from the test class path");
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }
}
