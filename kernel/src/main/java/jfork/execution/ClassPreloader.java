package jfork.execution;

import jfork.Log;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.jar.JarFile;
import java.util.stream.Stream;

/**
 * Loads, links and initializes every class of the kernel at start-up. A forked child that loads a
 * class for the first time waits on a VM lock forever (gdb: SystemDictionary::define_instance_class
 * or Deoptimization::deoptimize_all_marked), so nothing of ours may be first loaded in a child.
 */
final class ClassPreloader {
    static int preloadKernelClasses() {
        List<String> names = new ArrayList<>();
        List<byte[]> classFiles = new ArrayList<>();
        try {
            Path source = Path.of(ClassPreloader.class.getProtectionDomain().getCodeSource().getLocation().toURI());
            if (Files.isDirectory(source)) {
                try (Stream<Path> files = Files.walk(source)) {
                    for (Path p : files.filter(f -> f.toString().endsWith(".class")).toList()) {
                        names.add(className(source.relativize(p).toString()));
                        classFiles.add(Files.readAllBytes(p));
                    }
                }
            } else {
                try (JarFile jar = new JarFile(source.toFile())) {
                    for (var e : jar.stream().filter(e -> e.getName().endsWith(".class") && e.getName().startsWith("jfork/")).toList()) {
                        names.add(className(e.getName()));
                        try (var in = jar.getInputStream(e)) {
                            classFiles.add(in.readAllBytes());
                        }
                    }
                }
            }
        } catch (IOException | URISyntaxException | RuntimeException e) {
            Log.warn("could not list the kernel's classes to preload: " + e);
            return 0;
        }
        int loaded = 0;
        ClassLoader loader = ClassPreloader.class.getClassLoader();
        for (String name : names) {
            if (name.equals("jfork.Main") || name.startsWith("jfork.Main$")) continue;
            try {
                Class<?> c = Class.forName(name, true, loader);
                c.getDeclaredMethods(); // linked, not just loaded
                loaded++;
            } catch (Throwable e) {
                Log.warn("preload " + name + ": " + e);
            }
        }
        // and record the kernel's loader for every class they name (JDK classes included)
        for (byte[] classFile : classFiles) ReferencedClasses.resolve(classFile, loader);
        return loaded;
    }

    private static String className(String path) {
        return path.substring(0, path.length() - ".class".length()).replace('/', '.').replace('\\', '.');
    }

    private ClassPreloader() {
    }
}
