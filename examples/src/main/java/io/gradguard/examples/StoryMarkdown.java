package io.gradguard.examples;

import java.util.List;
import java.util.Locale;
import java.util.function.Function;

/**
 * The content of {@code summary.md}: the setting, one section per step of the story in order
 * (measure, clip, alert, diagnose, fix) with a paragraph per engine, each engine's runs side by
 * side, and the charts.
 */
final class StoryMarkdown {

    private StoryMarkdown() {}

    /**
     * Returns the Markdown text.
     *
     * @param setting the data and model, in one paragraph
     * @param stories the engines' stories, in run order
     * @param problems what failed, empty when the story holds
     * @return the text
     */
    static String of(String setting, List<EngineStory> stories, List<String> problems) {
        StringBuilder md = new StringBuilder("# GradGuard churn demo\n\n").append(setting);
        md.append("\n");
        section(md, 1, stories, s -> StoryText.measured(s.measurement()));
        section(md, 2, stories, s -> StoryText.clipped(s.unguarded(), s.guarded(), s.comparison()));
        section(md, 3, stories, s -> StoryText.alerted(s.guarded(), s.comparison()));
        section(
                md,
                4,
                stories,
                s ->
                        StoryText.diagnosed(
                                s.guarded().spikes(),
                                s.attribution(),
                                s.unguarded().settings().batchSize()));
        section(md, 5, stories, s -> StoryText.fixed(s.guarded(), s.fixed()));
        md.append("\n## Runs side by side\n");
        for (EngineStory story : stories) {
            md.append('\n').append(SummaryTable.of(story).toMarkdown());
        }
        md.append("\n## Charts\n\n");
        for (EngineStory story : stories) {
            String engine = engine(story);
            String file = engine.toLowerCase(Locale.ROOT) + "-story.png";
            md.append(String.format(Locale.ROOT, "![%s](%s)%n%n", engine, file));
        }
        md.append(
                "Per run: `<run>-steps.jsonl` (every step's report), `<run>-norms.png` and"
                        + " `<run>-norms-histogram.png`.\n");
        md.append("\n## Verdict\n\n");
        if (problems.isEmpty()) {
            md.append("The story holds on every engine.\n");
        } else {
            problems.forEach(p -> md.append("- ").append(p).append('\n'));
        }
        return md.toString();
    }

    private static void section(
            StringBuilder md,
            int number,
            List<EngineStory> stories,
            Function<EngineStory, String> text) {
        md.append(String.format("%n## %d. %s%n%n", number, StoryConsole.STEPS.get(number - 1)));
        for (EngineStory story : stories) {
            String body = text.apply(story).strip().replace("\n", "  \n");
            md.append("**").append(engine(story)).append("**: ").append(body).append("\n\n");
        }
    }

    private static String engine(EngineStory story) {
        return story.unguarded().settings().engine();
    }
}
