package jfork.execution;

import jdk.jshell.Diag;
import jdk.jshell.EvalException;
import jdk.jshell.JShell;
import jdk.jshell.JShellException;
import jdk.jshell.Snippet;
import jdk.jshell.SnippetEvent;
import jdk.jshell.UnresolvedReferenceException;

import java.util.ArrayList;
import java.util.List;

/**
 * Evaluates Java source through JShell, snippet by snippet, turning JShell's events into a value or
 * a {@link JavaError}. Remembers the snippets still to run, for a forked child that finishes the cell.
 */
final class JavaRunner {
    /**
     * The value of a cell's last expression: the object, JShell's printed form, and the {@code $N}
     * variable that holds it (null if none).
     */
    record Value(Object object, String text, String variable) {
    }

    /**
     * A snippet compiled and loaded ahead of its turn, so that a forked child never has to run javac.
     * One source may hold several snippets ({@code int a = 1, b = 2;} is two), each with a doit to run in order.
     */
    private record Prepared(List<java.lang.reflect.Method> doits, boolean expression, JavaError compileError,
                            List<SnippetEvent> temps) {
    }

    private final java.util.Map<Snippets.Piece, Prepared> prepared = new java.util.IdentityHashMap<>();
    private final JShell jshell;
    private final KernelExecutionControl control;
    private List<Snippets.Piece> pending = List.of();
    private int next;
    private final TempVariables temps = new TempVariables();
    private int depth;

    JavaRunner(JShell jshell, KernelExecutionControl control) {
        this.jshell = jshell;
        this.control = control;
    }

    /** Runs every snippet of {@code code}; returns the last expression's value, or null. */
    Value run(String code) throws JavaError {
        return run(code, true);
    }

    /**
     * keepTemps: whether the {@code $N} values of the code stay reachable by name afterwards (see
     * {@link TempVariables}); the outermost run restores and drops them, not one nested in a magic.
     */
    private Value run(String code, boolean keepTemps) throws JavaError {
        long t0 = System.nanoTime();
        boolean outermost = depth++ == 0;
        boolean outerKeeps = temps.keep(keepTemps);
        try {
            if (outermost) temps.restoreNamedIn(jshell, code);
            List<Snippets.Piece> pieces = Snippets.split(jshell.sourceCodeAnalysis(), code);
            long t1 = System.nanoTime();
            try {
                return runPieces(pieces);
            } finally {
                if (TIMING) jfork.Log.warn(String.format("split %.2f ms, eval %.2f ms", (t1 - t0) / 1e6, (System.nanoTime() - t1) / 1e6));
            }
        } finally {
            temps.keep(outerKeeps);
            depth--;
            if (outermost) temps.cellEnded(jshell);
        }
    }

    private static final boolean TIMING = System.getenv("JFORK_TIMING") != null;

    Value runPieces(List<Snippets.Piece> pieces) throws JavaError {
        List<Snippets.Piece> outer = pending;
        int outerNext = next;
        pending = pieces;
        next = 0;
        try {
            Value last = null;
            while (next < pending.size()) {
                Snippets.Piece piece = pending.get(next++);
                last = evalOne(piece);
            }
            return last;
        } finally {
            pending = outer;
            next = outerNext;
        }
    }

    /**
     * The value of one Java expression as text (String.valueOf), for magic arguments such as {pid}.
     * Leaves no $N variable behind: the session looks as if it had not been asked.
     */
    String textOf(String expression) throws JavaError {
        // its $N is dropped and not kept, like any temp variable made while keepTemps is false
        Value v = run("java.util.Objects.toString((" + expression + "))", false);
        if (v == null) throw new JavaError("CompilationException", "not an expression", List.of("not an expression: " + expression));
        return (String) v.object();
    }

    /** Snippets of the running cell not yet started (a forked child runs these, then exits). */
    List<Snippets.Piece> remaining() {
        return new ArrayList<>(pending.subList(Math.min(next, pending.size()), pending.size()));
    }

    /**
     * Called on the execution thread right before a fork: compiles the rest of the running cell now,
     * in the kernel. Class loading or compiling in a forked JVM can wait forever for a VM thread
     * the child does not have; running already-loaded code cannot.
     */
    void prepareRest() {
        for (Snippets.Piece p : remaining()) {
            if (prepared.containsKey(p)) continue;
            control.startRecording();
            List<SnippetEvent> events;
            List<java.lang.reflect.Method> doits;
            try {
                events = jshell.eval(p.source());
            } finally {
                doits = control.stopRecording();
            }
            boolean expression = false;
            JavaError error = null;
            for (SnippetEvent e : events) {
                if (e.causeSnippet() != null) continue;
                if (e.status() == Snippet.Status.REJECTED) error = compileError(e.snippet(), p);
                expression |= isExpression(e.snippet());
            }
            prepared.put(p, new Prepared(doits, expression, error, TempVariables.temps(events)));
        }
    }

    /**
     * Runs, in the kernel, the paths a forked child may take (a snippet that throws, run both ways,
     * and its report), so every class they need is linked before any fork: linking a class in a
     * forked JVM can wait forever for the VM thread.
     */
    void warmUpChildPaths() {
        String thrower = "if (true) throw new IllegalStateException(\"warm-up \" + 1);";
        try {
            run(thrower);
        } catch (JavaError expected) {
            String.join("\n", expected.traceback).length();
        }
        // a child whose forking snippet throws after fork reports it through this path
        String.join("\n", snippetFailure(new java.lang.reflect.InvocationTargetException(
                new IllegalStateException("warm-up"))).traceback).length();
        List<Snippets.Piece> pieces = Snippets.split(jshell.sourceCodeAnalysis(), thrower + "\n1 + 1");
        List<Snippets.Piece> outer = pending;
        int outerNext = next;
        pending = pieces;
        next = 0;
        try {
            prepareRest();
            for (Snippets.Piece p : pieces) {
                try {
                    evalOne(p);
                } catch (JavaError expected) {
                    String.join("\n", expected.traceback).length();
                }
            }
        } finally {
            pending = outer;
            next = outerNext;
        }
    }

    private Value runPrepared(Prepared p) throws JavaError {
        if (p.compileError() != null) throw p.compileError();
        if (p.doits().isEmpty()) return null;
        Object value = null;
        try {
            for (java.lang.reflect.Method doit : p.doits()) value = control.invokeRecorded(doit);
            for (SnippetEvent e : p.temps()) temps.made(e, value);
        } catch (CellInterrupted e) {
            throw JavaError.interrupted();
        } catch (Throwable t) {
            if (t instanceof CellInterrupted) throw JavaError.interrupted();
            throw runtimeError(t);
        }
        if (!p.expression()) return null;
        String variable = p.temps().isEmpty() ? null : ((jdk.jshell.VarSnippet) p.temps().get(p.temps().size() - 1).snippet()).name();
        return new Value(value, KernelExecutionControl.describe(value), variable);
    }

    private Value evalOne(Snippets.Piece piece) throws JavaError {
        if (Interrupts.requested()) throw JavaError.interrupted();
        Prepared ahead = prepared.remove(piece);
        if (ahead != null) return runPrepared(ahead);
        List<SnippetEvent> events = jshell.eval(piece.source());
        forgetRunOnceClassFiles(events);
        if (Interrupts.requested()) throw JavaError.interrupted();
        Value value = null;
        for (SnippetEvent e : events) {
            if (e.causeSnippet() != null) continue; // updates of dependent snippets
            Snippet s = e.snippet();
            if (e.status() == Snippet.Status.REJECTED) throw compileError(s, piece);
            if (e.exception() != null) throw runtimeError(e.exception());
            if (e.status() == Snippet.Status.RECOVERABLE_DEFINED || e.status() == Snippet.Status.RECOVERABLE_NOT_DEFINED) {
                warnUnresolved(s);
            }
            if (isExpression(s) && e.value() != null) {
                String variable = s instanceof jdk.jshell.VarSnippet v ? v.name() : null;
                value = new Value(control.lastValue(), e.value(), variable);
            }
            temps.made(e, control.lastValue());
        }
        return value;
    }

    /**
     * Statements and plain expressions run once: JShell never imports them into a later snippet nor
     * compiles them again, so the compiler need not keep their class files (see {@link UnneededClassFiles}).
     */
    private void forgetRunOnceClassFiles(List<SnippetEvent> events) {
        for (SnippetEvent e : events) {
            Snippet.Kind kind = e.snippet().kind();
            if (e.causeSnippet() == null && e.status() != Snippet.Status.REJECTED
                    && (kind == Snippet.Kind.STATEMENT || kind == Snippet.Kind.EXPRESSION)) {
                UnneededClassFiles.forget(jshell, e.snippet());
            }
        }
    }

    private static boolean isExpression(Snippet s) {
        return s.kind() == Snippet.Kind.EXPRESSION
                || s.subKind() == Snippet.SubKind.TEMP_VAR_EXPRESSION_SUBKIND;
    }

    private void warnUnresolved(Snippet s) {
        List<String> missing = jshell.unresolvedDependencies((jdk.jshell.DeclarationSnippet) s).toList();
        if (!missing.isEmpty()) {
            System.err.println("note: defined, but it cannot be used until " + String.join(", ", missing)
                    + (missing.size() == 1 ? " is" : " are") + " declared");
        }
    }

    private JavaError compileError(Snippet s, Snippets.Piece piece) {
        List<String> tb = new ArrayList<>();
        String first = null;
        String src = s.source();
        for (Diag d : jshell.diagnostics(s).toList()) {
            if (!d.isError()) continue;
            String message = d.getMessage(null);
            if (first == null) first = message;
            int pos = (int) Math.max(0, Math.min(d.getStartPosition(), src.length()));
            int lineStart = src.lastIndexOf('\n', pos - 1) + 1;
            int lineEnd = src.indexOf('\n', pos);
            if (lineEnd < 0) lineEnd = src.length();
            int lineInSnippet = (int) src.substring(0, lineStart).chars().filter(ch -> ch == '\n').count();
            int end = (int) Math.max(pos + 1, Math.min(d.getEndPosition(), lineEnd));
            tb.add("line " + (piece.line() + lineInSnippet) + ": " + message);
            tb.add("    " + src.substring(lineStart, lineEnd));
            tb.add("    " + " ".repeat(pos - lineStart) + "^" + (end - pos > 1 ? "-".repeat(end - pos - 2) + "^" : ""));
        }
        if (first == null) first = "the code does not compile";
        tb.add(0, "CompilationException: " + first.lines().findFirst().orElse(first));
        return new JavaError("CompilationException", first, tb);
    }

    /** What a snippet's doit threw, as reflection wraps it, turned into the cell error a user sees. */
    static JavaError snippetFailure(Throwable thrown) {
        Throwable t = thrown instanceof java.lang.reflect.InvocationTargetException ite && ite.getCause() != null
                ? ite.getCause() : thrown;
        if (t instanceof CellInterrupted) return JavaError.interrupted();
        return runtimeError(t);
    }

    /** An exception thrown by a snippet run directly (not through JShell's events). */
    static JavaError runtimeError(Throwable ex) {
        String ename = ex.getClass().getName();
        String evalue = ex.getMessage() == null ? "" : ex.getMessage();
        List<String> tb = new ArrayList<>();
        tb.add(ename + (evalue.isEmpty() ? "" : ": " + evalue));
        for (Throwable t = ex; t != null; t = t.getCause()) {
            if (t != ex) tb.add("Caused by: " + t);
            for (StackTraceElement f : t.getStackTrace()) {
                String cls = f.getClassName();
                if (cls.startsWith("jdk.internal.reflect") || cls.startsWith("java.lang.reflect")
                        || cls.startsWith("jfork.execution") || cls.startsWith("jdk.jshell")) continue;
                tb.add("\tat " + f);
            }
        }
        return new JavaError(ename, evalue, tb);
    }

    static JavaError runtimeError(JShellException ex) {
        String ename;
        if (ex instanceof EvalException ee) ename = ee.getExceptionClassName();
        else if (ex instanceof UnresolvedReferenceException ure) {
            String what = ure.getSnippet().toString();
            return new JavaError("UnresolvedReferenceException",
                    "uses something not yet declared: " + ure.getSnippet().source().lines().findFirst().orElse(what),
                    List.of("UnresolvedReferenceException: " + ure.getMessage()));
        } else ename = ex.getClass().getName();
        if (CellInterrupted.class.getName().equals(ename)) return JavaError.interrupted();
        String evalue = ex.getMessage() == null ? "" : ex.getMessage();
        List<String> tb = new ArrayList<>();
        tb.add(ename + (evalue.isEmpty() ? "" : ": " + evalue));
        for (Throwable t = ex; t != null; t = t.getCause()) {
            if (t != ex) {
                String causeName = t instanceof EvalException ce ? ce.getExceptionClassName() : t.getClass().getName();
                tb.add("Caused by: " + causeName + (t.getMessage() == null ? "" : ": " + t.getMessage()));
            }
            for (StackTraceElement f : t.getStackTrace()) {
                String cls = f.getClassName();
                if (cls.startsWith("jdk.internal.reflect") || cls.startsWith("java.lang.reflect")
                        || cls.startsWith("jfork.execution") || cls.startsWith("jdk.jshell")) continue;
                tb.add("\tat " + f);
            }
        }
        return new JavaError(ename, evalue, tb);
    }
}
