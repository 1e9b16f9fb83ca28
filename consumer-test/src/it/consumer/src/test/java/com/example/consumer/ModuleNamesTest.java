package com.example.consumer;

import io.gradguard.GradGuard;

import static org.testng.Assert.assertEquals;
import static org.testng.Assert.assertTrue;

import org.testng.annotations.Test;

import java.io.IOException;
import java.lang.module.Configuration;
import java.lang.module.ModuleFinder;
import java.lang.module.ModuleReference;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

/** The GradGuard jars, as resolved from the repository, work together as automatic modules. */
public class ModuleNamesTest {

    @Test
    public void everyJarNamesItsModule() throws IOException, URISyntaxException {
        List<Path> jars = new ArrayList<>();
        ClassLoader loader = ModuleNamesTest.class.getClassLoader();
        for (URL manifest : Collections.list(loader.getResources("META-INF/MANIFEST.MF"))) {
            String jar =
                    manifest.toString().replaceFirst("^jar:(.*)!/META-INF/MANIFEST\\.MF$", "$1");
            if (jar.contains("/gradguard-")) {
                jars.add(Path.of(new URI(jar)));
            }
        }
        ModuleFinder finder = ModuleFinder.of(jars.toArray(Path[]::new));
        Set<String> names =
                finder.findAll().stream()
                        .map(reference -> reference.descriptor().name())
                        .collect(Collectors.toSet());
        assertEquals(
                names,
                Set.of(
                        "io.gradguard.api",
                        "io.gradguard.engine.pytorch",
                        "io.gradguard.engine.mxnet",
                        "io.gradguard.micrometer"),
                "module names of " + jars);
        for (ModuleReference reference : finder.findAll()) {
            // Named by Automatic-Module-Name, not derived from the file name.
            assertTrue(reference.descriptor().isAutomatic(), reference.toString());
        }
        // Resolving them into one layer fails on a package split across two jars.
        Configuration resolved =
                ModuleLayer.boot().configuration().resolve(finder, ModuleFinder.of(), names);
        ModuleLayer.boot().defineModulesWithOneLoader(resolved, loader);
    }
}
