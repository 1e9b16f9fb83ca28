package io.gradguard;

import static org.testng.Assert.assertEquals;
import static org.testng.Assert.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.zip.CRC32;

/**
 * Edits a state file's text as a person would by hand, then writes it with a correct checksum line
 * computed here (CRC-32 of every byte above it, as eight lower-case hex digits), so that only the
 * validation of the values can reject it.
 */
final class StateFileEdits {

    private static final String CHECKSUM_LINE = "checksum.crc32=";

    private StateFileEdits() {}

    /** Returns a saved file's lines above its checksum line. */
    static String body(Path file) throws IOException {
        String text = Files.readString(file, StandardCharsets.US_ASCII);
        int at = text.lastIndexOf(CHECKSUM_LINE);
        assertTrue(at > 0 && text.charAt(at - 1) == '\n', "no checksum line in " + file);
        return text.substring(0, at);
    }

    /**
     * Sets a key's value: replaces its one line, removes it ({@code value == null}), or adds the
     * line at the end when the key is not there.
     */
    static String withValue(String body, String key, String value) {
        String prefix = key + "=";
        int at = body.startsWith(prefix) ? 0 : body.indexOf("\n" + prefix) + 1;
        if (at == 0 && !body.startsWith(prefix)) {
            assertTrue(value != null, "cannot remove absent key " + key);
            return body + prefix + value + "\n";
        }
        assertEquals(body.indexOf("\n" + prefix, at), -1, "key " + key + " appears twice");
        int end = body.indexOf('\n', at) + 1;
        String line = value == null ? "" : prefix + value + "\n";
        return body.substring(0, at) + line + body.substring(end);
    }

    /** Writes {@code body} and a correct checksum line to {@code file}. */
    static Path write(Path file, String body) throws IOException {
        CRC32 crc = new CRC32();
        crc.update(body.getBytes(StandardCharsets.US_ASCII));
        String text =
                body + CHECKSUM_LINE + String.format(Locale.ROOT, "%08x", crc.getValue()) + "\n";
        Files.writeString(file, text, StandardCharsets.US_ASCII);
        return file;
    }
}
