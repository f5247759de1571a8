package jfork.execution;

import jdk.jshell.JShell;
import jdk.jshell.Snippet;

import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.util.Map;

/**
 * Forgets the class files JShell's compiler keeps for snippets no later compilation refers to:
 * those the kernel has dropped, and statements and plain expressions, which run once.
 * JShell keeps every class it ever compiled in its in-memory file manager, never removed, and
 * every javac task (three or four per evaluation) lists them all: javac enters each one as a
 * class symbol and JShell purges them again afterwards. So every evaluation got slower with the
 * number of snippets evaluated before it, dropped and run-once ones included: in a JShell with the kernel's
 * imports and class path, each {@code $N} dropped after its evaluation, {@code 1+1} took 8-11 ms
 * (thread CPU, median) over evaluations 20-220 and 13-18 ms over 1,000-1,600; with the dropped
 * snippets' class files forgotten too, 5-8 ms and 5-6 ms (JDK 17, the kernel's JVM flags,
 * 2026-12-04). JShell imports only live declarations into a compilation, and recompiles only
 * declarations, so those class files are never read again; the classes stay loaded in the
 * kernel, where their values live.
 * <p>
 * The class files are a private field of JShell's file manager: this needs
 * {@code --add-opens jdk.jshell/jdk.jshell=ALL-UNNAMED} (the kernelspec has it). Without it, or
 * on a JDK whose JShell is laid out differently, it does nothing and says so once in the log.
 */
final class UnneededClassFiles {
    private static Method classFullName;
    private static Field taskFactory;
    private static Field fileManager;
    private static Field classObjects;
    private static boolean unavailable;

    /** Removes the snippet's class file (and its nested classes') from the compiler's view. */
    static synchronized void forget(JShell jshell, Snippet snippet) {
        if (unavailable) return;
        try {
            Map<String, ?> classes = classObjects(jshell);
            String name;
            try {
                name = (String) classFullName.invoke(snippet);
            } catch (java.lang.reflect.InvocationTargetException notCompiled) {
                return; // a snippet JShell never wrapped in a class has no class file
            }
            classes.keySet().removeIf(k -> k.equals(name) || k.startsWith(name + "$"));
        } catch (ReflectiveOperationException | RuntimeException e) {
            unavailable = true;
            jfork.Log.warn("cannot forget the class files of spent snippets (each evaluation will get slower"
                    + " with the session's length): " + e);
        }
    }

    @SuppressWarnings("unchecked")
    private static Map<String, ?> classObjects(JShell jshell) throws ReflectiveOperationException {
        if (classObjects == null) {
            classFullName = Snippet.class.getDeclaredMethod("classFullName");
            classFullName.setAccessible(true);
            taskFactory = JShell.class.getDeclaredField("taskFactory");
            taskFactory.setAccessible(true);
            Object factory = taskFactory.get(jshell);
            fileManager = factory.getClass().getDeclaredField("fileManager");
            fileManager.setAccessible(true);
            Field f = fileManager.get(factory).getClass().getDeclaredField("classObjects");
            f.setAccessible(true);
            classObjects = f;
        }
        return (Map<String, ?>) classObjects.get(fileManager.get(taskFactory.get(jshell)));
    }

    private UnneededClassFiles() {
    }
}
