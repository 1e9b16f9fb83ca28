package io.gradguard.examples;

import static org.testng.Assert.assertEquals;
import static org.testng.Assert.assertTrue;

import io.gradguard.ClipStatistics;
import io.gradguard.StepReport;
import io.gradguard.clip.ClipStrategy;
import io.gradguard.clip.NormDistribution;
import io.gradguard.event.AlertEvent;
import io.gradguard.observe.SpikeCause;
import io.gradguard.observe.SpikeSummary;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.testng.annotations.Test;

/** The exit-code verdict: every point of the story is checked and a failing one is named. */
public class StoryCheckTest {

    private static final List<StepReport> NONE = List.of();

    private static RunResult run(String label, boolean diverged, long clipped, double auc) {
        RunSettings settings =
                ChurnStoryTest.unguarded("PyTorch", OptimizerChoice.SGD, 1)
                        .with(label, ClipStrategy.globalNorm(1f), false);
        return new RunResult(
                settings,
                100,
                diverged ? Double.NaN : 0.5,
                diverged ? Double.NaN : 0.5,
                0.5,
                auc,
                new ClipStatistics(100, clipped, 0, 0, 100, 1f, 0),
                NormSummary.of(NONE),
                1.0,
                diverged ? 1.0 : 0.0,
                diverged
                        ? Optional.of(new Divergence(3, 0, 3, Float.NaN, 1e19f, 1e19f))
                        : Optional.empty(),
                NONE);
    }

    private static WatchedRun watched(RunResult run, boolean alert, Set<SpikeCause> causes) {
        Optional<AlertEvent> event =
                alert
                        ? Optional.of(
                                new AlertEvent(99, AlertEvent.Kind.CLIP_RATE, 0.2, 0.1, "alert"))
                        : Optional.empty();
        SpikeSummary spikes = new SpikeSummary(100, 10, 0, List.of(), List.of(), causes);
        return new WatchedRun(run, event, alert ? 1 : 0, spikes);
    }

    private static EngineStory story(
            boolean unguardedDiverges,
            boolean guardedAlerts,
            boolean fixedAlerts,
            Set<SpikeCause> causes,
            long fixedClipped,
            double fixedAuc) {
        Measurement m =
                new Measurement(
                        100, new NormDistribution(100, 0f, 1f, 2f, 3f, 4f, 5f), 2f, 3f, 0.1);
        return new EngineStory(
                m,
                run("unguarded", unguardedDiverges, 0, Double.NaN),
                watched(run("clip-p98", false, 15, 0.8), guardedAlerts, causes),
                Optional.empty(),
                watched(run("fixed-mask", false, fixedClipped, fixedAuc), fixedAlerts, Set.of()),
                new Attribution(0, 0, 0, 0, 0));
    }

    @Test
    public void theWholeStoryHasNoProblems() {
        assertEquals(
                StoryCheck.problems(story(true, true, false, Set.of(SpikeCause.DATA), 2, 0.85)),
                List.of());
    }

    @Test
    public void eachFailingPointIsNamed() {
        List<String> all =
                StoryCheck.problems(
                        story(false, false, true, Set.of(SpikeCause.CONDITIONING), 20, 0.7));
        assertEquals(all.size(), 6, all.toString());
        String[] points = {
            "(clip) the unguarded run stayed finite",
            "(alert) no clip-rate alert on the buggy data",
            "(fix) the clip-rate alert fired on the fixed data",
            "(diagnose) the spikes were not classified as data",
            "(fix) the fixed mask did not lower the clip rate: 20.0% after, 15.0% before",
            "(fix) the fixed mask lowered the validation AUC: 0.700 after, 0.800 before"
        };
        for (int i = 0; i < points.length; i++) {
            assertTrue(all.get(i).startsWith("Story does not hold on PyTorch: "), all.get(i));
            assertTrue(all.get(i).contains(points[i]), all.get(i));
        }
    }

    @Test
    public void aClippedRunThatDoesNotFinishIsNamed() {
        EngineStory s = story(true, true, false, Set.of(SpikeCause.DATA), 2, 0.85);
        EngineStory broken =
                new EngineStory(
                        s.measurement(),
                        s.unguarded(),
                        s.guarded(),
                        Optional.of(watched(run("clip-1.0", true, 0, Double.NaN), true, Set.of())),
                        s.fixed(),
                        s.attribution());
        List<String> problems = StoryCheck.problems(broken);
        assertEquals(problems.size(), 1, problems.toString());
        assertTrue(problems.get(0).contains("(clip) the clip-1.0 run"), problems.get(0));
    }
}
