package jfork.api;

import jfork.execution.CellProcesses;
import jfork.execution.KernelSignals;
import jfork.process.Children;
import jfork.process.ExitStatus;
import jfork.process.Forker;
import jfork.process.Native;
import jfork.process.PosixException;
import jfork.process.Signals;
import jfork.process.WaitResult;

import java.util.List;

/**
 * Python's {@code os} process functions for cells, named as in Python so that examples translate
 * line by line: {@code int n = os.fork(); if (n > 0) ... else ...}.
 */
@SuppressWarnings({"checkstyle:TypeName", "unused"})
public final class os {
    public static final int WNOHANG = Children.WNOHANG;
    public static final int WUNTRACED = Children.WUNTRACED;
    public static final int WCONTINUED = Children.WCONTINUED;

    /** Forks the kernel: the child's pid in the parent, 0 in the child, which runs the rest of the cell and ends. */
    public static int fork() {
        return Forker.isChild() ? Forker.get().fork("nested", NO_OUTPUT) : CellProcesses.get().fork();
    }

    public static int getpid() {
        return Native.libc().getpid();
    }

    public static int getppid() {
        return Native.posix().getppid();
    }

    /** Waits for a child: (pid, status), or (0, null) with WNOHANG while it runs. A reaped child keeps its status. */
    public static WaitResult waitpid(int pid, int options) {
        if (pid <= 0) throw new IllegalArgumentException("waitpid takes the pid of one child of this kernel, got " + pid
                + " (process groups are not supported; use os.wait() for any child)");
        return Forker.get().children().waitpid(pid, options);
    }

    /** Waits for any child of this kernel. */
    public static WaitResult wait_() {
        return Forker.get().children().waitAny();
    }

    /**
     * Sends a signal; refuses pids that would hit more than one process or the kernel's own ancestors,
     * and signals that would end, stop or crash the kernel itself. A signal the kernel sends itself is
     * handled before this returns: SIGINT then ends the cell as Python's KeyboardInterrupt does.
     */
    public static void kill(int pid, int sig) {
        KernelSignals.send(pid, sig, false, "os.kill");
    }

    /** Signals a process group (Python's os.killpg); refuses group 0, 1 and groups holding the kernel's parent. */
    public static void killpg(int pgid, int sig) {
        KernelSignals.sendGroup(pgid, sig, "os.killpg");
    }

    public static void kill(int pid, String sig) {
        kill(pid, Signals.parse(sig));
    }

    /** Ends this process at once, without running the rest of the cell (only in a forked child). */
    public static void _exit(int code) {
        if (!Forker.isChild()) {
            throw new IllegalStateException("os._exit would end the kernel itself; it is meant for forked children");
        }
        Forker.exitChild(code);
    }

    /** Replaces this (forked) process with a program; args[0] is its name, as in Python. */
    public static void execv(String path, List<String> args) {
        exec(path, args, false);
    }

    public static void execv(String path, String... args) {
        exec(path, List.of(args), false);
    }

    /** Like execv, looking the program up on PATH. */
    public static void execvp(String file, List<String> args) {
        exec(file, args, true);
    }

    public static void execvp(String file, String... args) {
        exec(file, List.of(args), true);
    }

    private static void exec(String program, List<String> args, boolean searchPath) {
        if (!Forker.isChild()) {
            throw new IllegalStateException("exec would replace the kernel itself; call it in a forked child (os.fork() == 0)");
        }
        System.out.flush();
        System.err.flush();
        String[] argv = args.toArray(new String[0]);
        int errno = 2; // ENOENT
        if (!searchPath || program.contains("/")) {
            Native.posix().execv(program, argv);
            errno = Native.posix().errno();
        } else {
            // PATH search as execvp(3) does it: try each directory; only native calls, nothing new to link
            for (String dir : SEARCH_PATH) {
                Native.posix().execv(dir + "/" + program, argv);
                int e = Native.posix().errno();
                if (e != 2 && e != 20) errno = e; // keep EACCES and the like over ENOENT/ENOTDIR
            }
        }
        throw new PosixException((searchPath ? "execvp(" : "execv(") + program + ")", errno);
    }

    private static final String[] SEARCH_PATH =
            System.getenv().getOrDefault("PATH", "/usr/local/bin:/usr/bin:/bin").replace("::", ":.:").split(":");

    static {
        // Bind execv in the kernel (a failing call): jnr generates its call stub on first use, which a
        // forked child cannot do safely.
        try {
            Native.posix().execv("/nonexistent/jfork-warm-up", new String[]{"jfork-warm-up"});
            Native.posix().errno();
            new PosixException("execv(warm-up)", 2).getMessage();
        } catch (RuntimeException ignored) {
            // only the binding matters
        }
    }

    /** A pipe: [read end, write end] file descriptors. */
    public static int[] pipe() {
        int[] fds = new int[2];
        if (Native.posix().pipe(fds) != 0) throw new PosixException("pipe()", Native.posix().errno());
        return fds;
    }

    public static int cpuCount() {
        return Runtime.getRuntime().availableProcessors();
    }

    /** Describes a raw status or names the result of waitpid in words. */
    public static String describe(WaitResult r) {
        return r.status() == null ? "still running" : r.status().toString();
    }

    private static final jfork.process.ChildOutput NO_OUTPUT = (pid, stream, data) -> { };

    private os() {
    }
}
