package jfork.execution;

import jdk.jshell.JShell;
import jdk.jshell.Snippet;
import jdk.jshell.SnippetEvent;
import jdk.jshell.VarSnippet;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The {@code $N} variables JShell makes for expression values, kept by the kernel instead of as live
 * snippets. JShell compiles every new snippet against every live one, so each {@code $N} left behind
 * made all later evaluations slower: 200 evaluations of {@code 1+1} in a plain JShell took 14-16 ms
 * each at the median, 6.5-9 ms when each {@code $N} was dropped right after (JDK 17, the kernel's JVM
 * flags, 2026-12-04). So after each cell the kernel drops the cell's {@code $N} snippets and keeps
 * their values; a later cell that names one gets it declared again first, with the same type and
 * value, so {@code $N} still means what it means in JShell. Values of a type that cannot be written
 * in Java source (an anonymous class, an intersection) stay live snippets.
 */
public final class TempVariables {
    private static final Pattern NAME_IN_CODE = Pattern.compile("(?<![\\w$])\\$\\d+(?![\\w$])");
    // a type a declaration can name: qualified names, type arguments (wildcards too), arrays
    private static final Pattern DENOTABLE = Pattern.compile("[A-Za-z_$][\\w$]*(\\.[A-Za-z_$][\\w$]*)*(<[\\w$.,<>\\[\\]? ]*>)?(\\[\\])*");

    private record Kept(String typeName, Object value) {
    }

    private record Made(VarSnippet snippet, Object value, boolean keep) {
    }

    // one JShell per kernel: static, so that the declaration that brings a value back can reach it
    private static final Map<String, Kept> KEPT = new HashMap<>();
    private final List<Made> made = new ArrayList<>();
    private boolean keeping = true;

    /** The value of a dropped {@code $N}, for the declaration that brings it back. */
    public static Object value(String name) {
        synchronized (KEPT) {
            Kept k = KEPT.get(name);
            if (k == null) throw new IllegalStateException(name + " is not a kept value");
            return k.value();
        }
    }

    /**
     * Whether temp variables made from now on keep their values once dropped (false for an
     * expression the kernel evaluates for itself, e.g. a magic's argument); returns the previous setting.
     */
    synchronized boolean keep(boolean keep) {
        boolean was = keeping;
        keeping = keep;
        return was;
    }

    /** A temp variable JShell just made for an expression of the running cell, and its value. */
    synchronized void made(SnippetEvent e, Object value) {
        if (e.snippet() instanceof VarSnippet v && v.subKind() == Snippet.SubKind.TEMP_VAR_EXPRESSION_SUBKIND
                && e.status() == Snippet.Status.VALID) {
            made.add(new Made(v, value, keeping));
        }
    }

    /** Temp variables among events (a snippet compiled ahead), for {@link #made} once their value is known. */
    static List<SnippetEvent> temps(List<SnippetEvent> events) {
        List<SnippetEvent> out = new ArrayList<>();
        for (SnippetEvent e : events) {
            if (e.causeSnippet() == null && e.snippet().subKind() == Snippet.SubKind.TEMP_VAR_EXPRESSION_SUBKIND) out.add(e);
        }
        return out;
    }

    /** After a cell: drops its {@code $N} snippets; keeps the values of those made while {@link #keep} was true. */
    synchronized void cellEnded(JShell jshell) {
        for (Made m : made) {
            VarSnippet v = m.snippet();
            if (jshell.status(v) != Snippet.Status.VALID || !DENOTABLE.matcher(v.typeName()).matches()) continue;
            try {
                jshell.drop(v);
            } catch (RuntimeException e) {
                jfork.Log.warn("could not drop " + v.name() + ": " + e);
                continue;
            }
            UnneededClassFiles.forget(jshell, v);
            if (m.keep()) {
                synchronized (KEPT) {
                    KEPT.put(v.name(), new Kept(v.typeName(), m.value()));
                }
            }
        }
        made.clear();
    }

    /**
     * Before a cell: declares again each dropped {@code $N} the code names. A declaration that fails
     * (its type was redefined since) is left to the cell, which then reports the name as JShell would.
     */
    void restoreNamedIn(JShell jshell, String code) {
        Matcher m = NAME_IN_CODE.matcher(code);
        while (m.find()) {
            String name = m.group();
            Kept k;
            synchronized (KEPT) {
                k = KEPT.get(name);
            }
            if (k == null) continue;
            if (jshell.variables().anyMatch(v -> v.name().equals(name) && jshell.status(v).isActive())) {
                synchronized (KEPT) {
                    KEPT.remove(name); // the cell's author declared it since: theirs wins, as in JShell
                }
                continue;
            }
            String type = k.typeName();
            List<SnippetEvent> events = jshell.eval(type + " " + name + " = (" + type + ") "
                    + TempVariables.class.getName() + ".value(\"" + name + "\");");
            boolean ok = !events.isEmpty() && events.get(0).status() == Snippet.Status.VALID && events.get(0).exception() == null;
            if (ok) {
                synchronized (KEPT) {
                    KEPT.remove(name); // a declared variable from now on, as any other
                }
            }
        }
    }
}
