package jfork.api;

import jfork.execution.KernelSignals;
import jfork.execution.KernelSignals.Kind;
import jfork.process.Signals;

/**
 * Python's {@code signal} module for cells, named as in Python so that examples translate line by
 * line: {@code signal.signal(signal.SIGUSR1, s -> System.out.println("got " + signal.name(s)))}.
 *
 * <p>Handlers run on the kernel's signal-handler thread (never inside a native signal context), one
 * at a time, in arrival order; what they print appears in the running cell, or in the next cell's
 * output when the kernel is idle. An exception in a handler is printed on the cell's stderr.
 * Signals of one kind that arrive while one is still pending are merged by the operating system:
 * count arrivals, not sends. A forked child cannot run Java handlers (only SIG_DFL and SIG_IGN), and
 * in a child {@link #getsignal} reports what the operating system has there, not what the kernel has.
 */
@SuppressWarnings({"checkstyle:TypeName", "unused"})
public final class signal {
    public static final int SIGHUP = Signals.SIGHUP, SIGINT = Signals.SIGINT, SIGQUIT = Signals.SIGQUIT,
            SIGKILL = Signals.SIGKILL, SIGUSR1 = Signals.SIGUSR1, SIGUSR2 = Signals.SIGUSR2,
            SIGPIPE = Signals.SIGPIPE, SIGALRM = Signals.SIGALRM, SIGTERM = Signals.SIGTERM,
            SIGCHLD = Signals.SIGCHLD, SIGCONT = Signals.SIGCONT, SIGSTOP = Signals.SIGSTOP;

    /** A signal handler: receives the signal number. */
    @FunctionalInterface
    public interface Handler extends KernelSignals.Handler {
    }

    private record Sentinel(String name) implements Handler {
        @Override
        public void handle(int signum) {
            throw new IllegalStateException(name + " is a marker, not a handler to call");
        }

        @Override
        public String toString() {
            return name;
        }
    }

    /** The default disposition; for SIGINT in the kernel: interrupt the running cell (KeyboardInterrupt). */
    public static final Handler SIG_DFL = new Sentinel("SIG_DFL");
    /** Ignore the signal. */
    public static final Handler SIG_IGN = new Sentinel("SIG_IGN");

    /** "SIGTERM" for 15. */
    public static String name(int signum) {
        return Signals.name(signum);
    }

    /** "SIGTERM", "TERM", "sigterm" or "15" to 15; unknown names fail with the list of valid ones. */
    public static int parse(String signal) {
        return Signals.parse(signal);
    }

    /** Installs a handler (a lambda taking the signal number), SIG_DFL or SIG_IGN; returns the previous one. */
    public static Handler signal(int signum, Handler handler) {
        KernelSignals.Disposition previous;
        if (handler == SIG_DFL) previous = KernelSignals.restoreDefault(signum);
        else if (handler == SIG_IGN) previous = KernelSignals.ignore(signum);
        else previous = KernelSignals.setHandler(signum, handler);
        return of(previous);
    }

    public static Handler signal(String signum, Handler handler) {
        return signal(parse(signum), handler);
    }

    /**
     * The current handler, SIG_DFL or SIG_IGN. In a forked child, the child's real disposition: the fork
     * resets SIGINT, SIGTERM and SIGHUP to SIG_DFL, and a signal the kernel handles is there caught by the
     * JVM's native handler, which runs nothing in a child: null, as Python's getsignal returns None for a
     * handler not installed from Python.
     */
    public static Handler getsignal(int signum) {
        return of(KernelSignals.get(signum));
    }

    /** SIGALRM after {@code seconds} (0 cancels); returns the seconds left of the previous alarm. Needs a SIGALRM handler. */
    public static int alarm(int seconds) {
        return KernelSignals.alarm(seconds);
    }

    /** Waits until a signal handler has run; the kernel's interrupt (or SIGINT) ends the wait and the cell. */
    public static void pause() {
        KernelSignals.pause();
    }

    private static Handler of(KernelSignals.Disposition d) {
        if (d.kind() == Kind.IGNORED) return SIG_IGN;
        if (d.kind() == Kind.INERT) return null;
        if (d.handler() instanceof Handler h) return h;
        if (d.handler() != null) return d.handler()::handle; // %signal --trace
        return SIG_DFL;
    }

    private signal() {
    }
}
