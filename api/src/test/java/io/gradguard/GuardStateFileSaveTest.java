package io.gradguard;

import static org.testng.Assert.assertEquals;
import static org.testng.Assert.assertFalse;
import static org.testng.Assert.assertTrue;
import static org.testng.Assert.expectThrows;

import io.gradguard.clip.ClipStrategy;
import io.gradguard.internal.StrategyNames;
import io.gradguard.scale.LossScalerState;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.testng.SkipException;
import org.testng.annotations.AfterMethod;
import org.testng.annotations.BeforeMethod;
import org.testng.annotations.Test;

/**
 * Saving a state file: concurrent saves to one name leave one complete checkpoint and no temporary
 * file; a save that fails names the file and leaves no temporary file either.
 */
public class GuardStateFileSaveTest {

    private static final int THREADS = 8;
    private static final int ROUNDS = 250;

    private Path dir;

    @BeforeMethod
    public void createDir() throws IOException {
        dir = Files.createTempDirectory("gradguard-save");
    }

    @AfterMethod(alwaysRun = true)
    public void deleteDir() throws IOException {
        dir.toFile().setWritable(true);
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }

    /** A valid checkpoint unique to {@code id}: its step and statistics. */
    private static GuardCheckpoint checkpoint(int id) {
        return new GuardCheckpoint(
                id,
                id % 7,
                id % 3,
                0,
                1,
                NonFinitePolicy.SKIP_STEP,
                "autoClip(percentile=10.0, historySize=4)",
                StrategyNames.AUTO_CLIP,
                Map.of("strategy", "s:autoClip", "history", "D:" + id + ".0,1.5"),
                GuardCheckpoint.SCALER_DYNAMIC,
                new LossScalerState(1024f, id % 5, 0),
                new ClipStatistics(id, id / 2, id / 3, id / 4, 2L * id, id / 8f));
    }

    private List<Path> leftovers() throws IOException {
        try (Stream<Path> files = Files.walk(dir)) {
            return files.filter(p -> p.getFileName().toString().endsWith(".tmp")).toList();
        }
    }

    @Test(timeOut = 120_000)
    public void concurrentSavesLeaveOneCompleteCheckpoint() throws Exception {
        Path file = GuardStateFile.resolve(dir, "run");
        GuardStateFile.write(checkpoint(0), file);
        Set<GuardCheckpoint> written = ConcurrentHashMap.newKeySet();
        written.add(checkpoint(0));
        List<String> errors = new ArrayList<>();
        AtomicBoolean saving = new AtomicBoolean(true);
        CountDownLatch start = new CountDownLatch(1);
        ExecutorService pool = Executors.newFixedThreadPool(THREADS + 1);
        List<Future<Integer>> savers = new ArrayList<>();
        for (int t = 0; t < THREADS; t++) {
            int thread = t;
            savers.add(
                    pool.submit(
                            () -> {
                                start.await();
                                int saved = 0;
                                for (int round = 0; round < ROUNDS; round++) {
                                    GuardCheckpoint c = checkpoint(1 + thread * ROUNDS + round);
                                    written.add(c);
                                    GuardStateFile.write(c, file);
                                    saved++;
                                }
                                return saved;
                            }));
        }
        // A reader meanwhile: every read must see one complete checkpoint among those written.
        Future<Integer> reader =
                pool.submit(
                        () -> {
                            start.await();
                            int reads = 0;
                            while (saving.get()) {
                                GuardCheckpoint read = GuardStateFile.read(file);
                                if (!written.contains(read)) {
                                    synchronized (errors) {
                                        errors.add("read a checkpoint never written: " + read);
                                    }
                                }
                                reads++;
                            }
                            return reads;
                        });
        start.countDown();
        int saves = 0;
        try {
            for (Future<Integer> saver : savers) {
                saves += saver.get(100, TimeUnit.SECONDS);
            }
        } finally {
            saving.set(false);
            pool.shutdown();
        }
        int reads = reader.get(10, TimeUnit.SECONDS);
        assertTrue(pool.awaitTermination(10, TimeUnit.SECONDS));
        System.out.println(
                "RELIABILITY state-file concurrent saves="
                        + saves
                        + " failed="
                        + (THREADS * ROUNDS - saves)
                        + " concurrent reads="
                        + reads
                        + " incomplete="
                        + errors.size());
        assertEquals(saves, THREADS * ROUNDS);
        assertEquals(errors, List.of());
        GuardCheckpoint last = GuardStateFile.read(file);
        assertTrue(written.contains(last), "the file holds one of the written checkpoints");
        assertEquals(written.size(), THREADS * ROUNDS + 1, "the checkpoints are distinct");
        assertEquals(leftovers(), List.of(), "no temporary file left");
        try (Stream<Path> files = Files.list(dir)) {
            assertEquals(files.toList(), List.of(file));
        }
    }

    @Test
    public void aMissingDirectoryIsNamed() throws IOException {
        Path target = GuardStateFile.resolve(dir.resolve("absent"), "run");
        assertSaveFails(target);
        assertFalse(Files.exists(dir.resolve("absent")), "no directory is created");
        // Through the listener: the same message, naming the file it would have written.
        ClippingTrainingListener listener =
                ClippingTrainingListener.builder().setStrategy(ClipStrategy.globalNorm(1f)).build();
        IOException e =
                expectThrows(
                        IOException.class, () -> listener.saveState(dir.resolve("absent"), "run"));
        assertNamesTarget(e, target);
    }

    @Test
    public void aDirectoryThatIsAFileIsNamed() throws IOException {
        Path plain = Files.writeString(dir.resolve("plain"), "not a directory");
        assertSaveFails(GuardStateFile.resolve(plain, "run"));
        assertEquals(Files.readString(plain), "not a directory");
    }

    @Test
    public void aTargetThatCannotBeReplacedIsNamedAndLeavesNoTemporaryFile() throws IOException {
        // The rename fails after the temporary file was written: the target is a non-empty
        // directory.
        Path target = GuardStateFile.resolve(dir, "run");
        Files.createDirectory(target);
        Files.writeString(target.resolve("inside"), "kept");
        assertSaveFails(target);
        assertEquals(Files.readString(target.resolve("inside")), "kept");
    }

    @Test
    public void aReadOnlyDirectoryIsNamed() throws IOException {
        Path target = GuardStateFile.resolve(dir, "run");
        GuardStateFile.write(checkpoint(1), target);
        assertTrue(dir.toFile().setWritable(false));
        Path probe = dir.resolve("probe");
        try {
            Files.createFile(probe);
            Files.delete(probe);
            throw new SkipException("this user writes into read-only directories (root)");
        } catch (IOException expected) {
            // The directory is read-only for this user.
        }
        assertSaveFails(target);
        assertEquals(GuardStateFile.read(target), checkpoint(1), "the previous file is intact");
    }

    @Test
    public void theFileHasTheDefaultPermissionsOfANewFile() throws IOException {
        if (Files.getFileAttributeView(dir, PosixFileAttributeView.class) == null) {
            throw new SkipException("not a POSIX file system");
        }
        Path target = GuardStateFile.resolve(dir, "run");
        GuardStateFile.write(checkpoint(1), target);
        Path reference = Files.createFile(dir.resolve("reference"));
        assertEquals(
                PosixFilePermissions.toString(Files.getPosixFilePermissions(target)),
                PosixFilePermissions.toString(Files.getPosixFilePermissions(reference)));
    }

    private void assertSaveFails(Path target) throws IOException {
        IOException e =
                expectThrows(IOException.class, () -> GuardStateFile.write(checkpoint(2), target));
        assertNamesTarget(e, target);
        assertEquals(leftovers(), List.of(), "no temporary file left");
    }

    /** The message names the target itself, not only a temporary file beside it. */
    private static void assertNamesTarget(IOException e, Path target) {
        String temporary = Pattern.quote(target.toString()) + "(\\.[^\\s:]*)?\\.tmp";
        String withoutTemporaries = e.getMessage().replaceAll(temporary, "");
        assertTrue(withoutTemporaries.contains(target.toString()), e.getMessage());
    }
}
