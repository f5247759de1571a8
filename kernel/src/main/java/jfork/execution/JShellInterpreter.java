package jfork.execution;

import jdk.jshell.JShell;
import jdk.jshell.SourceCodeAnalysis;
import jfork.Log;
import jfork.display.MimeBundle;
import jfork.display.Renderers;
import jfork.magics.ArgumentExpansion;
import jfork.magics.Magic;
import jfork.magics.MagicCall;
import jfork.magics.MagicContext;
import jfork.magics.MagicRegistry;
import jfork.magics.UsageError;
import jfork.process.CompileBeforeFork;
import jfork.process.ForkHooks;
import jfork.process.Forker;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Cells in JShell, inside the kernel JVM, on one long-lived execution thread; magics first. */
public final class JShellInterpreter implements Interpreter {
    static final String[] STARTUP = {
            "import java.util.*;", "import java.util.function.*;", "import java.util.stream.*;",
            "import java.util.concurrent.*;", "import java.util.concurrent.atomic.*;", "import java.util.regex.*;",
            "import java.io.*;", "import java.math.*;", "import java.net.*;", "import java.nio.file.*;",
            "import java.time.*;", "import jfork.api.*;", "import jfork.display.MimeBundle;",
            "import static jfork.api.Notebook.*;",
    };
    private static final Pattern LINE_MAGIC = Pattern.compile("^\\s*%([A-Za-z_][\\w-]*)(.*)$");
    private static final Pattern CELL_MAGIC = Pattern.compile("^\\s*%%([A-Za-z_][\\w-]*)([^\\n]*)\\n?", Pattern.DOTALL);
    private static final Pattern HELP = Pattern.compile("^\\s*(%{0,2})([^?\\n]+?)\\s*(\\?{1,2})\\s*$");

    private final ExecutionThread thread = new ExecutionThread();
    private final KernelExecutionControl control = new KernelExecutionControl(thread);
    private final CellOutput output;
    private final CellProcesses processes;
    private final MagicRegistry magics;
    private final CompletableFuture<JShell> ready;
    private volatile JavaRunner runner;
    private volatile Thread forkPathsReady;
    private boolean childPathsWarm;

    public JShellInterpreter(OutputSink sink, InputSource input, MagicRegistry magics) {
        this.output = CellOutput.install(sink);
        this.processes = new CellProcesses(output);
        // A forked child comes back here when the snippet that forked returns: it finishes the cell and exits.
        processes.beforeFork(() -> {
            awaitForkPaths();
            if (runner != null) runner.prepareRest();
        });
        ForkHooks.beforeFork(control::resolveReferencedClasses); // pool forks too, not only cells'
        CompileBeforeFork.setBytecodeSource(SnippetClasses::bytecode); // a cell's methods that a pool's function calls
        thread.afterEachTask(failure -> {
            if (Forker.isChild()) ChildCell.finish(runner, failure);
        });
        this.magics = magics;
        Prompt.install(input);
        this.ready = CompletableFuture.supplyAsync(this::startJShell, r -> {
            Thread t = new Thread(r, "jfork-jshell-init");
            t.setDaemon(true);
            t.start();
        });
    }

    /** JShell starts in the background so that kernel_info is answered at once. */
    private JShell startJShell() {
        long t0 = System.nanoTime();
        JShell jshell = JShell.builder()
                .executionEngine(KernelExecutionControl.provider(control), Map.of())
                // StringBuilder instead of invokedynamic: a forked child cannot link new call sites safely
                .compilerOptions("-XDstringConcat=inline")
                .build();
        jshell.addToClasspath(System.getProperty("java.class.path"));
        long t1 = System.nanoTime();
        for (String line : STARTUP) jshell.eval(line);
        long t2 = System.nanoTime();
        runner = new JavaRunner(jshell, control);
        try {
            runner.run("int $warmUp = 1 + 1;"); // first compile loads javac: do it before the first cell
            jdk.jshell.Snippet warmUp = jshell.snippets().filter(s -> s.source().contains("$warmUp")).findFirst().orElseThrow();
            jshell.drop(warmUp);
            UnneededClassFiles.forget(jshell, warmUp);
            long t3 = System.nanoTime();
            Log.warn(String.format("JShell built in %d ms, imports %d ms, first compile %d ms",
                    (t1 - t0) / 1_000_000, (t2 - t1) / 1_000_000, (t3 - t2) / 1_000_000));
            // the fork layer and every kernel class, linked before any fork rather than first touched in a child
            Thread preload = new Thread(() -> {
                Forker.get();
                ClassPreloader.preloadKernelClasses();
                Log.warn(String.format("kernel classes preloaded after %d ms", (System.nanoTime() - t3) / 1_000_000));
            }, "jfork-preload");
            preload.setDaemon(true);
            preload.start();
            forkPathsReady = preload;
        } catch (Exception e) {
            Log.warn("warm-up failed: " + e);
        }
        return jshell;
    }

    /** On the execution thread before the first fork: everything a child may run is run here once. */
    private void awaitForkPaths() {
        try {
            Thread preload = forkPathsReady;
            if (preload != null) preload.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (!childPathsWarm) {
            childPathsWarm = true;
            runner.warmUpChildPaths();
        }
    }

    private JShell jshell() {
        return ready.join();
    }

    ExecutionThread executionThread() {
        return thread;
    }

    JavaRunner runner() {
        jshell();
        return runner;
    }

    @Override
    public ExecuteOutcome execute(ExecuteRequest request) {
        long t0 = System.nanoTime();
        try {
            return executeTimed(request);
        } finally {
            if (System.getenv("JFORK_TIMING") != null) Log.warn(String.format("execute %.2f ms", (System.nanoTime() - t0) / 1e6));
        }
    }

    private ExecuteOutcome executeTimed(ExecuteRequest request) {
        jshell();
        Interrupts.clear();
        processes.beginCell(request.executionCount());
        output.enterCell(request.cell());
        // the execution thread's output (and that of threads it starts) goes to this cell; set when it
        // next runs something, which is always within this cell
        thread.beforeNextTask(() -> output.setThreadCell(request.cell()));
        List<Map<String, Object>> payloads = new ArrayList<>();
        try {
            MimeBundle result = runCell(request.code(), payloads);
            return ExecuteOutcome.success(result, payloads);
        } catch (JavaError e) {
            return ExecuteOutcome.failure(e.ename, e.evalue, e.traceback);
        } catch (UsageError e) {
            return ExecuteOutcome.failure("UsageError", e.getMessage(), List.of("UsageError: " + e.getMessage()));
        } catch (RuntimeException e) {
            Log.warn("cell failed inside the kernel: " + e);
            return ExecuteOutcome.failure(e.getClass().getSimpleName(), String.valueOf(e.getMessage()),
                    List.of("kernel error: " + e));
        } finally {
            try {
                processes.endCell(request.cell());
            } finally {
                output.leaveCell();
                output.flush();
            }
        }
    }

    private MimeBundle runCell(String code, List<Map<String, Object>> payloads) throws JavaError {
        Matcher help = HELP.matcher(code);
        if (help.matches() && !code.contains("\n")) {
            payloads.add(pager(help(help.group(1), help.group(2).strip())));
            return null;
        }
        Matcher cell = CELL_MAGIC.matcher(code);
        if (cell.lookingAt()) {
            String name = cell.group(1);
            Magic magic = magics.cell(name).orElseThrow(() -> new UsageError(magics.unknown("%%", name)));
            return runMagic(magic, cell.group(2), code.substring(cell.end()));
        }
        MimeBundle last = null;
        StringBuilder java = new StringBuilder();
        for (String line : code.split("\n", -1)) {
            Matcher m = LINE_MAGIC.matcher(line);
            if (m.matches() && (java.toString().isBlank() || endsStatement(java))) {
                last = runJava(java.toString());
                java.setLength(0);
                String name = m.group(1);
                Magic magic = magics.line(name).orElseThrow(() -> new UsageError(magics.unknown("%", name)));
                last = runMagic(magic, m.group(2), null);
            } else {
                java.append(line).append('\n');
            }
        }
        if (!java.toString().isBlank()) last = runJava(java.toString());
        return last;
    }

    /** A % line may follow Java code only where a statement has ended (so 'a\n% b' stays Java). */
    private static boolean endsStatement(CharSequence java) {
        String s = java.toString().strip();
        return s.endsWith(";") || s.endsWith("}");
    }

    private MimeBundle runJava(String code) throws JavaError {
        if (code.isBlank()) return null;
        JavaRunner.Value v = runner.run(code);
        if (v == null) return null;
        MimeBundle shown = Renderers.render(v.object(), v.text());
        if (v.variable() == null) return shown;
        // JShell's name for the value ($N), which later cells may use; the frontend shows only the value.
        // A copy: the value may be the user's own MimeBundle.
        MimeBundle bundle = new MimeBundle();
        bundle.data.putAll(shown.data);
        bundle.metadata.putAll(shown.metadata);
        bundle.metadata.put("jfork", Map.of("variable", v.variable()));
        return bundle;
    }

    /** The one place magics are run: {expression} and $name in the arguments are expanded here for all of them. */
    private MimeBundle runMagic(Magic magic, String rawArgs, String body) throws JavaError {
        try {
            String args = magic.expandsArguments() ? ArgumentExpansion.expand(rawArgs, runner::textOf) : rawArgs;
            return magic.run(MagicCall.of(magic.name(), args, body), magicContext);
        } catch (UsageError e) {
            String prefix = magic.isCellMagic() ? "%%" : "%";
            throw new UsageError(prefix + magic.name() + ": " + e.getMessage() + "\n\nUsage:\n" + magic.usage());
        } catch (JavaError | RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new JavaError(e.getClass().getName(), String.valueOf(e.getMessage()), List.of(e.toString()));
        }
    }

    private final MagicContext magicContext = new MagicContext() {
        @Override
        public Object evalJava(String code) throws Exception {
            JavaRunner.Value v = runner.run(code);
            return v == null ? null : v.object();
        }

        @Override
        public <T> T onExecutionThread(java.util.concurrent.Callable<T> work) throws Exception {
            return thread.call(work);
        }

        @Override
        public MagicRegistry registry() {
            return magics;
        }

        @Override
        public void display(MimeBundle bundle) {
            output.display(bundle, null, false);
        }
    };

    private static Map<String, Object> pager(String text) {
        return Map.of("source", "page", "data", Map.of("text/plain", text), "start", 0);
    }

    private String help(String percent, String name) {
        if (!percent.isEmpty()) {
            Optional<Magic> m = percent.equals("%%") ? magics.cell(name) : magics.line(name).or(() -> magics.cell(name));
            return m.map(magic -> (magic.isCellMagic() ? "%%" : "%") + magic.name() + ": " + magic.summary() + "\n\n" + magic.usage()
                            + (magic.expandsArguments() ? "\n\n" + ArgumentExpansion.HELP : ""))
                    .orElse(magics.unknown(percent, name));
        }
        Inspection found = inspect(name, name.length(), 1);
        return found.found() ? found.bundle().toString() : "no documentation found for " + name;
    }

    @Override
    public Completion complete(String code, int cursor) {
        String before = code.substring(0, cursor);
        Matcher m = Pattern.compile("(%{1,2})([\\w-]*)$").matcher(before);
        if (m.find() && before.substring(0, m.start()).isBlank()) {
            List<String> names = new ArrayList<>();
            var table = m.group(1).equals("%%") ? magics.cellMagics() : magics.lineMagics();
            for (Magic magic : table) if (magic.name().startsWith(m.group(2))) names.add(m.group(1) + magic.name());
            return new Completion(names, m.start(), cursor);
        }
        int[] anchor = new int[1];
        Set<String> matches = new LinkedHashSet<>();
        for (SourceCodeAnalysis.Suggestion s : jshell().sourceCodeAnalysis().completionSuggestions(code, cursor, anchor)) {
            matches.add(s.continuation());
        }
        return new Completion(new ArrayList<>(matches), anchor[0], cursor);
    }

    @Override
    public Inspection inspect(String code, int cursor, int detailLevel) {
        Matcher magic = Pattern.compile("^\\s*(%{1,2})([\\w-]+)").matcher(code);
        if (magic.find() && cursor <= magic.end()) {
            return new Inspection(true, MimeBundle.text(help(magic.group(1), magic.group(2))));
        }
        SourceCodeAnalysis sca = jshell().sourceCodeAnalysis();
        List<SourceCodeAnalysis.Documentation> docs = sca.documentation(code, cursor, true);
        if (docs.isEmpty()) {
            // cursor at the end of a method name: ask as if the call were being opened
            String opened = code.substring(0, cursor) + "(" + code.substring(cursor);
            docs = sca.documentation(opened, cursor + 1, true);
        }
        if (docs.isEmpty()) return Inspection.NOTHING;
        StringBuilder text = new StringBuilder();
        for (SourceCodeAnalysis.Documentation d : docs) {
            text.append(d.signature()).append('\n');
            if (d.javadoc() != null && !d.javadoc().isBlank()) text.append(d.javadoc().strip()).append("\n\n");
        }
        return new Inspection(true, MimeBundle.text(text.toString().strip()));
    }

    @Override
    public Completeness isComplete(String code) {
        if (code.stripLeading().startsWith("%")) {
            return code.stripLeading().startsWith("%%") && !code.endsWith("\n\n") && code.contains("\n")
                    ? new Completeness("incomplete", "") : new Completeness("complete", "");
        }
        SourceCodeAnalysis sca = jshell().sourceCodeAnalysis();
        String rest = code;
        while (true) {
            var info = sca.analyzeCompletion(rest);
            switch (info.completeness()) {
                case EMPTY:
                    return new Completeness("complete", "");
                case COMPLETE:
                case COMPLETE_WITH_SEMI:
                    if (info.remaining().isBlank()) return new Completeness("complete", "");
                    rest = info.remaining();
                    break;
                case DEFINITELY_INCOMPLETE:
                case CONSIDERED_INCOMPLETE:
                    return new Completeness("incomplete", "    ");
                default:
                    return new Completeness("invalid", "");
            }
        }
    }

    @Override
    public void interrupt() {
        control.stop();
        processes.killCellChildren();
    }

    @Override
    public void shutdown() {
        control.stop();
        processes.killAll();
    }
}
