package jfork.execution;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The bytecode of every snippet class JShell has loaded in this kernel, in load order, as JShell
 * compiled it (before the interrupt weaving). Spawn pool workers (fresh JVMs) define these classes
 * in their own class loader so that lambdas and methods defined in cells run there.
 */
public final class SnippetClasses {
    private static final Map<String, byte[]> CLASSES = new LinkedHashMap<>();
    private static final List<String> ORDER = new ArrayList<>();

    private SnippetClasses() {
    }

    static synchronized void record(String name, byte[] bytecode) {
        if (CLASSES.put(name, bytecode.clone()) == null) ORDER.add(name);
    }

    /** Number of distinct classes recorded so far (names never go away: JShell never reuses one). */
    public static synchronized int count() {
        return ORDER.size();
    }

    /** The classes recorded at positions [from, count()): name and bytecode. */
    public static synchronized List<Map.Entry<String, byte[]>> since(int from) {
        List<Map.Entry<String, byte[]>> out = new ArrayList<>();
        for (int i = from; i < ORDER.size(); i++) out.add(Map.entry(ORDER.get(i), CLASSES.get(ORDER.get(i))));
        return out;
    }

    /** The bytecode of a snippet class by binary name, or null if it is not one. */
    public static synchronized byte[] bytecode(String name) {
        return CLASSES.get(name);
    }
}
