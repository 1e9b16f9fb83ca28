package io.gradguard;

import static org.testng.Assert.assertEquals;
import static org.testng.Assert.assertTrue;
import static org.testng.Assert.expectThrows;
import static org.testng.Assert.fail;

import ai.djl.Device;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.gradguard.OptimizerState.SavedArray;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32;
import org.testng.annotations.Test;

/**
 * The optimizer state file on its own, without an engine: round trip, and every truncation, every
 * flipped bit and every crafted bad value refused with an {@link InvalidCheckpointException} naming
 * the file, never another exception or an allocation beyond the file's size.
 */
public class OptimizerStateFileTest {

    private static final long GUARD_CRC = 0x89abcdefL;

    private static OptimizerState sample() {
        byte[] weights = new byte[2 * 3 * 4];
        for (int i = 0; i < weights.length; i++) {
            weights[i] = (byte) (i * 37 + 5);
        }
        byte[] bias = {1, 2, 3, 4, 5, 6, 7, 8};
        return new OptimizerState(
                "adamW",
                3,
                Map.of("dense_weight", 3, "dense_bias", 2),
                List.of(
                        new SavedArray(
                                "master",
                                "dense_weight",
                                Device.cpu(),
                                DataType.FLOAT32,
                                new Shape(2, 3),
                                weights),
                        new SavedArray(
                                "means",
                                "dense_bias",
                                Device.cpu(),
                                DataType.FLOAT32,
                                new Shape(2),
                                bias)));
    }

    private static Path written() throws IOException {
        Path dir = Files.createTempDirectory("gradguard-optfile");
        Path file = OptimizerStateFile.resolve(dir, "run");
        OptimizerStateFile.write(sample(), GUARD_CRC, file);
        return file;
    }

    @Test
    public void roundTripKeepsEveryValueAndByte() throws IOException {
        Path file = written();
        OptimizerState read = OptimizerStateFile.read(file, GUARD_CRC);
        OptimizerState expected = sample();
        assertEquals(read.kind(), "adamW");
        assertEquals(read.numUpdate(), 3);
        assertEquals(read.updateCounts(), expected.updateCounts());
        assertEquals(read.arrays().size(), 2);
        for (int i = 0; i < 2; i++) {
            SavedArray a = read.arrays().get(i);
            SavedArray e = expected.arrays().get(i);
            assertEquals(a.slot(), e.slot());
            assertEquals(a.parameter(), e.parameter());
            assertEquals(a.device(), e.device());
            assertEquals(a.dataType(), e.dataType());
            assertEquals(a.shape(), e.shape());
            assertTrue(Arrays.equals(a.data(), e.data()), "bytes of array " + i);
        }
        assertTrue(file.getFileName().toString().equals("run-gradguard-optimizer.bin"));
    }

    @Test
    public void everyTruncationIsRefused() throws IOException {
        Path file = written();
        byte[] bytes = Files.readAllBytes(file);
        for (int length = 0; length < bytes.length; length++) {
            Files.write(file, Arrays.copyOf(bytes, length));
            refused(file, "truncated to " + length + " bytes");
        }
    }

    @Test
    public void everyFlippedBitIsRefused() throws IOException {
        Path file = written();
        byte[] bytes = Files.readAllBytes(file);
        for (int i = 0; i < bytes.length; i++) {
            for (int bit = 0; bit < 8; bit++) {
                byte[] edited = bytes.clone();
                edited[i] ^= (byte) (1 << bit);
                Files.write(file, edited);
                refused(file, "bit " + bit + " of byte " + i);
            }
        }
    }

    @Test
    public void aFileFromAnotherSaveIsRefused() throws IOException {
        Path file = written();
        InvalidCheckpointException e =
                expectThrows(
                        InvalidCheckpointException.class,
                        () -> OptimizerStateFile.read(file, GUARD_CRC + 1));
        assertTrue(
                e.getProblem().contains("not written by the same saveState call"), e.getMessage());
    }

    @Test
    public void craftedValuesAreRefusedByName() throws IOException {
        assertCrafted(2, "adamW", 1, 1, 0L, "format version 2 is not supported");
        assertCrafted(1, "lamb", 1, 1, 0L, "optimizer kind must be one of");
        assertCrafted(1, "adamW", 1, 2, 0L, "must be in [1, numUpdate 1], got 2");
        assertCrafted(1, "adamW", 1, 1, 1L << 40, "corrupt or truncated: 1099511627776 bytes");
        assertCrafted(1, "adamW", 1, 1, 5L, "must hold 4 bytes for float32(1), got 5");
        assertCrafted(1, "adamW", -1, 1, 0L, "numUpdate must be >= 0");
    }

    /**
     * Writes a file by hand with a valid CRC: one count for parameter 'p', one 'means' array of
     * shape (1) float32 claiming {@code dataBytes} bytes but holding 4.
     */
    private static void assertCrafted(
            int version, String kind, int numUpdate, int count, long dataBytes, String expected)
            throws IOException {
        ByteArrayOutputStream raw = new ByteArrayOutputStream();
        DataOutputStream out = new DataOutputStream(raw);
        out.write("GRADGUARD-OPTIMIZER\n".getBytes(StandardCharsets.US_ASCII));
        out.writeInt(version);
        out.writeByte('L');
        out.writeLong(GUARD_CRC);
        out.writeUTF(kind);
        out.writeInt(numUpdate);
        out.writeInt(1);
        out.writeUTF("p");
        out.writeInt(count);
        out.writeInt(1);
        out.writeUTF("means");
        out.writeUTF("p");
        out.writeUTF("cpu");
        out.writeInt(-1);
        out.writeUTF("FLOAT32");
        out.writeInt(1);
        out.writeLong(1);
        out.writeLong(dataBytes == 0 ? 4 : dataBytes);
        out.write(new byte[4]);
        CRC32 crc = new CRC32();
        crc.update(raw.toByteArray());
        out.writeInt((int) crc.getValue());
        Path file = Files.createTempFile("gradguard-crafted", ".bin");
        Files.write(file, raw.toByteArray());
        InvalidCheckpointException e =
                expectThrows(
                        InvalidCheckpointException.class,
                        () -> OptimizerStateFile.read(file, GUARD_CRC));
        assertTrue(e.getMessage().contains(expected), e.getMessage());
        assertTrue(e.getMessage().contains(file.toString()), e.getMessage());
        Files.delete(file);
    }

    private static void refused(Path file, String edit) throws IOException {
        try {
            OptimizerStateFile.read(file, GUARD_CRC);
            fail("accepted a file with " + edit);
        } catch (InvalidCheckpointException e) {
            assertTrue(e.getMessage().contains(file.toString()), e.getMessage());
        } catch (RuntimeException e) {
            throw new AssertionError(edit + " gave " + e, e);
        }
    }
}
