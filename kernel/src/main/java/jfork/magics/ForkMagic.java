package jfork.magics;

import jfork.api.CellBody;
import jfork.display.MimeBundle;
import jfork.execution.CellProcesses;
import jfork.process.ChildInfo;
import jfork.process.ExitStatus;
import jfork.process.Forker;
import jfork.process.Native;
import jfork.process.Signals;

import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/** %%fork [-n N] [--timeout SECONDS]: the cell body runs in N forked children; the kernel's state is untouched. */
public final class ForkMagic implements Magic {
    private static int counter;

    public String name() { return "fork"; }

    public String summary() { return "run the cell body in N forked children (-n N, --timeout SECONDS)"; }

    public String usage() {
        return "%%fork [-n N] [--timeout SECONDS]\n<java statements>\n\n"
                + "Forks N children (default 1); each runs the body, then ends. With N > 1 every output line is\n"
                + "labelled with the child's pid. The kernel's variables are unchanged afterwards: each child\n"
                + "works on its own copy of memory. The cell waits for the children (default 30 s), then kills\n"
                + "the ones still running. The body is compiled once in the kernel (a forked JVM must not compile):\n"
                + "statements only, no method or class declarations.\n"
                + "Example:\n%%fork -n 4\nSystem.out.println(\"hello from \" + os.getpid());";
    }

    public boolean isCellMagic() { return true; }

    public MimeBundle run(MagicCall call, MagicContext context) throws Exception {
        int n = 1;
        double timeout = CellProcesses.get().waitSeconds();
        List<String> args = call.args();
        for (int i = 0; i < args.size(); i++) {
            String a = args.get(i);
            switch (a) {
                case "-n" -> n = Args.positiveInt(a, Args.value(args, ++i, a), 1, Forker.get().maxChildren());
                case "--timeout" -> timeout = Args.positiveDouble(a, Args.value(args, ++i, a));
                default -> throw new UsageError("unknown option " + a);
            }
        }
        if (call.body().isBlank()) throw new UsageError("the cell has no body to run");
        String var;
        synchronized (ForkMagic.class) {
            var = "$forkBody" + (++counter);
        }
        context.evalJava("jfork.api.CellBody " + var + " = () -> {\n" + call.body() + "\n};");
        CellBody body = (CellBody) context.evalJava(var);
        int count = n;
        warmUpChildPath();
        List<Integer> pids = context.onExecutionThread(() -> forkAll(body, count));
        long deadline = System.currentTimeMillis() + (long) (timeout * 1000);
        for (int pid : pids) {
            ChildInfo info = Forker.get().children().get(pid);
            while (!info.reaped() && System.currentTimeMillis() < deadline) {
                Forker.get().children().reapExited();
                Thread.sleep(2);
            }
            if (!info.reaped()) {
                Forker.get().children().signal(pid, Signals.SIGKILL);
                Forker.get().children().waitpid(pid, 0);
                System.err.println("child " + pid + " was still running after " + timeout + " s: killed");
            }
            Forker.get().pump().awaitClosed(pid, 1000);
            ExitStatus st = info.status();
            if (st != null && st.exited() && st.exitCode() != 0) System.err.println("child " + pid + " " + st);
        }
        return null;
    }

    /** Links, in the kernel, the classes a child's labelled output and error report use (see jvm-fork notes). */
    private static void warmUpChildPath() {
        PrintStream p = new PrintStream(new LinePrefixStream(java.io.OutputStream.nullOutputStream(), "[0] "), true, StandardCharsets.UTF_8);
        Throwable t = new IllegalStateException("warm-up");
        p.println("child " + 0 + " failed: " + t);
        for (StackTraceElement e : t.getStackTrace()) p.println("\tat " + e);
    }

    private static List<Integer> forkAll(CellBody body, int n) {
        List<Integer> pids = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            int pid = CellProcesses.get().fork();
            if (pid == 0) runChild(body, n > 1);
            pids.add(pid);
        }
        return pids;
    }

    private static void runChild(CellBody body, boolean labelled) {
        int me = Native.libc().getpid();
        if (labelled) {
            System.setOut(new PrintStream(new LinePrefixStream(System.out, "[" + me + "] "), true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(new LinePrefixStream(System.err, "[" + me + "] "), true, StandardCharsets.UTF_8));
        }
        int code = 0;
        try {
            body.run();
        } catch (Throwable t) {
            System.err.println("child " + me + " failed: " + t);
            for (StackTraceElement e : t.getStackTrace()) {
                if (e.getClassName().startsWith("jfork.")) break;
                System.err.println("\tat " + e);
            }
            code = 1;
        }
        Forker.exitChild(code);
    }
}
