package io.gradguard;

import ai.djl.Device;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.gradguard.OptimizerState.SavedArray;
import io.gradguard.internal.AtomicFile;
import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32;
import java.util.zip.CheckedOutputStream;

/**
 * Reads and writes an {@link OptimizerState} as {@code dir/name-gradguard-optimizer.bin}, the
 * companion of the guard state file that the same {@link ClippingTrainingListener#saveState} call
 * writes. Binary (arrays are raw bytes), big-endian framing through {@link DataOutputStream}:
 *
 * <pre>
 * "GRADGUARD-OPTIMIZER\n"           20 ASCII bytes
 * int     version                   1
 * byte    'L'                       array bytes are little-endian
 * long    guard file CRC-32         of the guard state file written by the same call
 * UTF     kind                      adamW, adam, sgd, ...
 * int     numUpdate
 * int n,  n x (UTF name, int count) update counts by parameter name
 * int m,  m x (UTF slot, UTF parameter, UTF device type, int device id, UTF data type,
 *              int rank, rank x long dimension, long byte count, bytes)
 * int     CRC-32 of every byte above
 * </pre>
 *
 * Reading is strict: a truncated or corrupt file, another version, a length larger than what is
 * left of the file, a value out of range, or a guard CRC that does not match the guard file beside
 * it (the two files come from different saves) is an {@link InvalidCheckpointException} naming the
 * file; no array is allocated beyond the file's size. Writing goes through {@link AtomicFile}.
 */
final class OptimizerStateFile {

    static final String SUFFIX = "-gradguard-optimizer.bin";
    static final int VERSION = 1;

    private static final byte[] MAGIC = "GRADGUARD-OPTIMIZER\n".getBytes(StandardCharsets.US_ASCII);
    private static final byte LITTLE_ENDIAN = 'L';
    private static final int MAX_RANK = 32;

    private OptimizerStateFile() {}

    /** Returns {@code dir/name-gradguard-optimizer.bin}; {@code name} is checked by the caller. */
    static Path resolve(Path dir, String name) {
        return dir.resolve(name + SUFFIX);
    }

    /** Returns the CRC-32 of a whole file's bytes, as written in the guard CRC field. */
    static long crc(byte[] bytes) {
        CRC32 crc = new CRC32();
        crc.update(bytes);
        return crc.getValue();
    }

    /**
     * Writes the state, tied to the guard file whose bytes have CRC-32 {@code guardCrc}.
     *
     * @throws IOException naming {@code file} if it cannot be written
     */
    static void write(OptimizerState state, long guardCrc, Path file) throws IOException {
        if (ByteOrder.nativeOrder() != ByteOrder.LITTLE_ENDIAN) {
            throw new IllegalStateException("optimizer state is only saved on little-endian hosts");
        }
        AtomicFile.write(
                file,
                stream -> {
                    CheckedOutputStream checked = new CheckedOutputStream(stream, new CRC32());
                    DataOutputStream out = new DataOutputStream(checked);
                    out.write(MAGIC);
                    out.writeInt(VERSION);
                    out.writeByte(LITTLE_ENDIAN);
                    out.writeLong(guardCrc);
                    out.writeUTF(state.kind());
                    out.writeInt(state.numUpdate());
                    out.writeInt(state.updateCounts().size());
                    for (Map.Entry<String, Integer> e : state.updateCounts().entrySet()) {
                        out.writeUTF(e.getKey());
                        out.writeInt(e.getValue());
                    }
                    out.writeInt(state.arrays().size());
                    for (SavedArray a : state.arrays()) {
                        writeArray(out, a);
                    }
                    out.flush();
                    out.writeInt((int) checked.getChecksum().getValue());
                    out.flush();
                });
    }

    private static void writeArray(DataOutputStream out, SavedArray a) throws IOException {
        out.writeUTF(a.slot());
        out.writeUTF(a.parameter());
        out.writeUTF(a.device().getDeviceType());
        out.writeInt(a.device().getDeviceId());
        out.writeUTF(a.dataType().name());
        long[] dims = a.shape().getShape();
        out.writeInt(dims.length);
        for (long d : dims) {
            out.writeLong(d);
        }
        out.writeLong(a.data().length);
        out.write(a.data());
    }

    /**
     * Reads and validates a file written by {@link #write}, beside a guard file whose bytes have
     * CRC-32 {@code guardCrc}.
     *
     * @throws IOException if the file cannot be read
     * @throws InvalidCheckpointException if it is not a valid companion of that guard file
     */
    static OptimizerState read(Path file, long guardCrc) throws IOException {
        long size = Files.size(file);
        try (Counting counting =
                new Counting(new BufferedInputStream(Files.newInputStream(file)))) {
            DataInputStream in = new DataInputStream(counting);
            Reader r = new Reader(file, in, counting, size);
            byte[] magic = r.bytes(Math.min(size, MAGIC.length), "header");
            if (!Arrays.equals(magic, MAGIC)) {
                throw new InvalidCheckpointException(
                        file, "not a GradGuard optimizer state file, or truncated in its header");
            }
            int version = in.readInt();
            if (version != VERSION) {
                throw new InvalidCheckpointException(
                        file,
                        "format version " + version + " is not supported; this GradGuard reads 1");
            }
            checkChecksum(file, size);
            if (in.readByte() != LITTLE_ENDIAN
                    || ByteOrder.nativeOrder() != ByteOrder.LITTLE_ENDIAN) {
                throw new InvalidCheckpointException(file, "written in another byte order");
            }
            long stated = in.readLong();
            OptimizerState state = r.body();
            in.readInt(); // the trailer, checked above
            if (counting.count != size) {
                throw new InvalidCheckpointException(file, "corrupt: bytes after its content");
            }
            if (stated != guardCrc) {
                throw new InvalidCheckpointException(
                        file,
                        "it was not written by the same saveState call as the guard state file"
                                + " beside it (a crash between the two writes, or files copied"
                                + " from different checkpoints)");
            }
            return state;
        } catch (EOFException e) {
            throw new InvalidCheckpointException(file, "truncated", e);
        } catch (InvalidCheckpointException e) {
            throw e;
        } catch (IllegalArgumentException e) {
            throw new InvalidCheckpointException(file, "invalid value: " + e.getMessage(), e);
        }
    }

    /** Compares the CRC-32 of everything but the last 4 bytes with those 4 bytes. */
    private static void checkChecksum(Path file, long size) throws IOException {
        if (size < MAGIC.length + 8) {
            throw new InvalidCheckpointException(file, "truncated: " + size + " bytes");
        }
        CRC32 crc = new CRC32();
        int trailer;
        try (DataInputStream in =
                new DataInputStream(new BufferedInputStream(Files.newInputStream(file)))) {
            byte[] buffer = new byte[1 << 16];
            long left = size - 4;
            while (left > 0) {
                int n = (int) Math.min(buffer.length, left);
                in.readFully(buffer, 0, n);
                crc.update(buffer, 0, n);
                left -= n;
            }
            trailer = in.readInt();
        }
        if ((int) crc.getValue() != trailer) {
            throw new InvalidCheckpointException(
                    file,
                    String.format(
                            "corrupt or truncated: the CRC-32 of its content is %08x but its"
                                    + " last 4 bytes say %08x",
                            (int) crc.getValue(), trailer));
        }
    }

    /** Reads the body, checking every length against what is left of the file. */
    private record Reader(Path file, DataInputStream in, Counting counting, long size) {

        OptimizerState body() throws IOException {
            String kind = in.readUTF();
            int numUpdate = in.readInt();
            int counts = count("update counts", 6);
            Map<String, Integer> updateCounts = new LinkedHashMap<>();
            for (int i = 0; i < counts; i++) {
                String name = in.readUTF();
                if (updateCounts.put(name, in.readInt()) != null) {
                    throw new InvalidCheckpointException(file, "two update counts for " + name);
                }
            }
            int arrays = count("arrays", 40);
            List<SavedArray> list = new ArrayList<>(arrays);
            for (int i = 0; i < arrays; i++) {
                list.add(array());
            }
            return new OptimizerState(kind, numUpdate, updateCounts, list);
        }

        private SavedArray array() throws IOException {
            String slot = in.readUTF();
            String parameter = in.readUTF();
            Device device = Device.of(in.readUTF(), in.readInt());
            DataType dataType = DataType.valueOf(in.readUTF());
            int rank = in.readInt();
            if (rank < 0 || rank > MAX_RANK) {
                throw new InvalidCheckpointException(
                        file, "rank of '" + parameter + "' must be in [0, 32], got " + rank);
            }
            long[] dims = new long[rank];
            for (int d = 0; d < rank; d++) {
                dims[d] = in.readLong();
                if (dims[d] < 0) {
                    throw new InvalidCheckpointException(
                            file, "negative dimension in the shape of '" + parameter + "'");
                }
            }
            long length = in.readLong();
            byte[] data = bytes(length, "slot '" + slot + "' of '" + parameter + "'");
            return new SavedArray(slot, parameter, device, dataType, new Shape(dims), data);
        }

        /** Reads a count of entries of at least {@code minBytes} each. */
        private int count(String what, int minBytes) throws IOException {
            int n = in.readInt();
            if (n < 0 || (long) n * minBytes > left()) {
                throw new InvalidCheckpointException(
                        file, "corrupt or truncated: " + n + " " + what + " cannot fit");
            }
            return n;
        }

        byte[] bytes(long length, String what) throws IOException {
            if (length < 0 || length > left()) {
                throw new InvalidCheckpointException(
                        file, "corrupt or truncated: " + length + " bytes of " + what);
            }
            byte[] data = new byte[(int) length];
            in.readFully(data);
            return data;
        }

        /** Bytes of the file not yet consumed by the reader. */
        private long left() {
            return size - counting.count;
        }
    }

    /** Counts the bytes read through it. */
    private static final class Counting extends FilterInputStream {
        private long count;

        Counting(InputStream in) {
            super(in);
        }

        @Override
        public int read() throws IOException {
            int b = super.read();
            if (b >= 0) {
                count++;
            }
            return b;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int n = super.read(b, off, len);
            if (n > 0) {
                count += n;
            }
            return n;
        }
    }
}
