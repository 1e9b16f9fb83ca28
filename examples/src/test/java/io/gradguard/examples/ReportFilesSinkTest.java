package io.gradguard.examples;

import static org.testng.Assert.assertEquals;
import static org.testng.Assert.assertNotNull;

import io.gradguard.StepReport;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import javax.imageio.ImageIO;
import org.testng.annotations.Test;

/** The demo's report files: one JSON line per step and readable PNG charts. */
public class ReportFilesSinkTest {

    @Test
    public void writesOneLinePerStepAndTwoImages() throws IOException {
        List<StepReport> reports = new ArrayList<>();
        for (int i = 0; i < 30; i++) {
            float norm = i % 10 == 9 ? 50f : 0.1f * (i + 1);
            reports.add(
                    new StepReport(
                            i,
                            0,
                            i,
                            norm,
                            Math.min(1f, 1f / norm),
                            norm > 1f,
                            1f,
                            false,
                            false,
                            1));
        }
        Path dir = Files.createTempDirectory("gradguard-demo-files");
        new ReportFilesSink().accept("pytorch-guarded", reports, 1f, dir);
        assertEquals(Files.readAllLines(dir.resolve("pytorch-guarded-steps.jsonl")).size(), 30);
        for (String name :
                List.of("pytorch-guarded-norms.png", "pytorch-guarded-norms-histogram.png")) {
            BufferedImage image = ImageIO.read(dir.resolve(name).toFile());
            assertNotNull(image, name);
        }
        try (var files = Files.list(dir)) {
            files.forEach(
                    f -> {
                        try {
                            Files.delete(f);
                        } catch (IOException e) {
                            throw new IllegalStateException(e);
                        }
                    });
        }
        Files.delete(dir);
    }
}
