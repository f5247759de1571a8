package jfork.execution;

import jfork.Log;
import jfork.process.Forker;
import jfork.process.LibC;
import jfork.process.Native;
import jfork.process.PosixException;
import jfork.process.ProcessOwner;
import jfork.process.ProcState;
import jfork.process.Signals;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The kernel's signal dispositions, behind {@code jfork.api.signal}, {@code os.kill} and the
 * {@code %kill} / {@code %signal} magics.
 *
 * <p>Handlers never run in a native signal context: HotSpot's own handler posts the signal to its
 * Signal Dispatcher thread, which calls {@link #DISPATCH} through {@code sun.misc.Signal} on a plain
 * Java thread; that only queues the number, and one long-lived thread ({@value #HANDLER_THREAD}) runs
 * the cells' handlers one at a time, in arrival order, with their output routed to the running cell
 * (or held for the next cell when the kernel is idle).
 *
 * <p>SIGINT always goes through {@link #DISPATCH}: by default it interrupts the running cell (Python's
 * KeyboardInterrupt); a cell's handler replaces that; SIG_DFL restores it. SIG_IGN for SIGINT, SIGTERM,
 * SIGHUP and SIGCHLD is kept at the Java level (the dispatcher drops them): after a real libc SIG_IGN
 * the JVM silently refuses to handle the first three again (JVM_RegisterSignal returns "ignored"), so
 * SIG_DFL could not be restored, and an ignored SIGCHLD makes the OS reap children before waitpid can.
 * Other signals get a real SIG_IGN.
 */
public final class KernelSignals {
    /**
     * What the kernel does with a signal. {@code INERT} is only seen in a forked child: the JVM's native
     * handler catches the signal there, but it only queues it for the Signal Dispatcher thread, which
     * stayed in the kernel (fork copies one thread), so nothing runs.
     */
    public enum Kind { DEFAULT, IGNORED, HANDLER, TRACE, RESERVED, UNCATCHABLE, INERT }

    /** A cell's handler: runs on the kernel's signal-handler thread with the signal number. */
    @FunctionalInterface
    public interface Handler {
        void handle(int signum) throws Exception;
    }

    /** A disposition as {@code signal.getsignal} reports it: a kind and, for handlers, the handler. */
    public record Disposition(Kind kind, Handler handler) {
    }

    static final String HANDLER_THREAD = "jfork-signal-handlers";
    private static final long SELF_DELIVERY_WAIT_MS = 2000;

    /** Signals the JVM needs for itself, and why: installing a handler on them is refused. */
    private static final Map<Integer, String> RESERVED = Map.of(
            Signals.SIGQUIT, "the JVM prints a thread dump on SIGQUIT (and the JVM refuses a handler for it)",
            4, "the JVM turns SIGILL into errors or crash reports (and refuses a handler for it)",
            8, "the JVM turns SIGFPE into ArithmeticException (and refuses a handler for it)",
            Signals.SIGSEGV, "the JVM turns SIGSEGV into NullPointerException, stack overflow checks and safepoints "
                    + "(and refuses a handler for it)",
            7, "the JVM handles SIGBUS itself (faults on memory-mapped files become InternalError instead of a crash)",
            Signals.SIGUSR2, "the JVM uses SIGUSR2 to suspend and resume threads (its native handler is installed)",
            Signals.SIGPIPE, "the JVM catches SIGPIPE so that writing to a closed pipe or socket fails with an "
                    + "IOException instead of ending the kernel",
            25, "the JVM catches SIGXFSZ so that exceeding the file size limit fails with an IOException");

    /**
     * SIG_IGN kept in the dispatcher, not in libc: after a real SIG_IGN the JVM will not handle SIGINT,
     * SIGTERM or SIGHUP again, and a real SIG_IGN for SIGCHLD makes Linux reap children by itself, so
     * waitpid (the children table, java.lang.Process) would fail with ECHILD.
     */
    private static final java.util.Set<Integer> JAVA_LEVEL_IGNORE =
            java.util.Set.of(Signals.SIGINT, Signals.SIGTERM, Signals.SIGHUP, Signals.SIGCHLD);
    private static final int MAX_SIGNAL = 64;
    private static final Object LOCK = new Object();
    private static final Kind[] KIND = new Kind[MAX_SIGNAL + 1];
    private static final Handler[] HANDLERS = new Handler[MAX_SIGNAL + 1];
    /** The JVM's handler before a cell first changed the signal (Terminator's for TERM/HUP, SIG_DFL, ...). */
    private static final sun.misc.SignalHandler[] ORIGINAL = new sun.misc.SignalHandler[MAX_SIGNAL + 1];
    private static final boolean[] DISPATCHING = new boolean[MAX_SIGNAL + 1];
    private static final AtomicLong[] RECEIVED = new AtomicLong[MAX_SIGNAL + 1];
    private static final AtomicLong[] HANDLED = new AtomicLong[MAX_SIGNAL + 1];
    private static final LinkedBlockingQueue<Integer> QUEUE = new LinkedBlockingQueue<>();
    /** Bumped after every handler run or kernel interrupt; pause() and self-kill wait on it. */
    private static final Object PROGRESS = new Object();
    private static long progress;

    /** The kernel JVM and its parent, fixed when the kernel loads this class; inherited by forked children. */
    private static final int KERNEL_PID = Native.libc().getpid();
    private static final int KERNEL_PARENT = Native.posix().getppid();

    private static volatile Runnable kernelInterrupt = () -> { };
    private static volatile Thread handlerThread;

    private static final sun.misc.SignalHandler DISPATCH = s -> onSignal(s.getNumber());

    static {
        for (int i = 0; i <= MAX_SIGNAL; i++) {
            KIND[i] = RESERVED.containsKey(i) ? Kind.RESERVED : Kind.DEFAULT;
            RECEIVED[i] = new AtomicLong();
            HANDLED[i] = new AtomicLong();
        }
        KIND[Signals.SIGKILL] = Kind.UNCATCHABLE;
        KIND[Signals.SIGSTOP] = Kind.UNCATCHABLE;
        // The paths a forked child may take (os.kill to the kernel): linked here, in the kernel.
        refusalToKernel(Signals.SIGUSR1);
        refusalToKernel(Signals.SIGTERM);
        new PosixException("warm-up", 3).getMessage();
        inThisProcess(Signals.SIGUSR1); // what getsignal reads in a child
        killFailed(KERNEL_PID, Signals.SIGTERM, 1).getMessage(); // the EPERM report, which a child may need
    }

    private KernelSignals() {
    }

    // ------------------------------------------------------------------ installation

    /** Main: SIGINT interrupts the running cell unless a cell installed its own handler. */
    public static void installKernelInterrupt(Runnable interrupt) {
        kernelInterrupt = interrupt;
        synchronized (LOCK) {
            sun.misc.SignalHandler old = sun.misc.Signal.handle(new sun.misc.Signal("INT"), DISPATCH);
            if (old == sun.misc.SignalHandler.SIG_IGN) {
                // Started with SIGINT ignored (nohup, a background job): the JVM then installs nothing.
                Log.warn("SIGINT was ignored when the kernel started; resetting it so that interrupts work");
                Native.libc().signal(Signals.SIGINT, LibC.SIG_DFL);
                old = sun.misc.Signal.handle(new sun.misc.Signal("INT"), DISPATCH);
            }
            ORIGINAL[Signals.SIGINT] = old;
            DISPATCHING[Signals.SIGINT] = true;
        }
    }

    /** Installs a cell's handler; returns the previous disposition. */
    public static Disposition setHandler(int sig, Handler handler) {
        if (handler == null) throw new IllegalArgumentException("the handler is null; use signal.SIG_DFL or signal.SIG_IGN");
        return change(sig, Kind.HANDLER, handler);
    }

    /** %signal --trace: a kernel handler that prints each arrival in the running (or next) cell. */
    public static Disposition trace(int sig) {
        return change(sig, Kind.TRACE, s -> System.out.println("[signal] " + Signals.name(s) + " (" + s + ") arrived, #"
                + RECEIVED[s].get() + " since the kernel started"));
    }

    public static Disposition ignore(int sig) {
        return change(sig, Kind.IGNORED, null);
    }

    public static Disposition restoreDefault(int sig) {
        return change(sig, Kind.DEFAULT, null);
    }

    /** The disposition as signal.getsignal reports it; in a forked child, what the OS has there. */
    public static Disposition get(int sig) {
        checkNumber(sig);
        // not under LOCK in a child: a kernel thread may have held it at the fork, and nobody would release it
        // (RESERVED and UNCATCHABLE never change, so they need no lock)
        if (Forker.isChild()) {
            return KIND[sig] == Kind.RESERVED || KIND[sig] == Kind.UNCATCHABLE ? new Disposition(KIND[sig], null) : inThisProcess(sig);
        }
        synchronized (LOCK) {
            return new Disposition(KIND[sig], HANDLERS[sig]);
        }
    }

    /**
     * A child inherits this class's tables from the kernel, but not what they describe: the fork
     * resets SIGINT, SIGTERM and SIGHUP to their defaults (ignores kept at the Java level included),
     * and cell handlers need the kernel's Signal Dispatcher thread. So a child asks the OS.
     */
    private static Disposition inThisProcess(int sig) {
        long[] masks = procMasks();
        long bit = 1L << (sig - 1);
        if ((masks[0] & bit) != 0) return new Disposition(Kind.IGNORED, null);
        if ((masks[1] & bit) != 0) return new Disposition(Kind.INERT, null);
        return new Disposition(Kind.DEFAULT, null);
    }

    private static Disposition change(int sig, Kind kind, Handler handler) {
        checkNumber(sig);
        checkCatchable(sig, kind);
        if (Forker.isChild()) return changeInChild(sig, kind);
        synchronized (LOCK) {
            Disposition previous = new Disposition(KIND[sig], HANDLERS[sig]);
            if (kind == Kind.HANDLER || kind == Kind.TRACE || kind == Kind.IGNORED && JAVA_LEVEL_IGNORE.contains(sig)) {
                install(sig, DISPATCH);
                DISPATCHING[sig] = true;
            } else if (kind == Kind.IGNORED) {
                install(sig, sun.misc.SignalHandler.SIG_IGN);
                DISPATCHING[sig] = false;
            } else if (sig != Signals.SIGINT && ORIGINAL[sig] != null) { // DEFAULT: what the JVM had
                install(sig, ORIGINAL[sig]);
                DISPATCHING[sig] = false;
            }
            KIND[sig] = kind;
            HANDLERS[sig] = handler;
            if (sig == Signals.SIGALRM && kind == Kind.DEFAULT) {
                int left = Native.libc().alarm(0);
                if (left > 0) {
                    System.err.println("note: a pending signal.alarm (" + left + " s left) was cancelled: with SIGALRM at "
                            + "its default it would end the kernel");
                }
            }
            return previous;
        }
    }

    /** sun.misc.Signal.handle, remembering the JVM's own handler the first time. */
    private static void install(int sig, sun.misc.SignalHandler h) {
        sun.misc.Signal signal = new sun.misc.Signal(Signals.name(sig).substring(3));
        sun.misc.SignalHandler old;
        try {
            old = sun.misc.Signal.handle(signal, h);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("cannot change " + Signals.name(sig) + ": " + e.getMessage(), e);
        }
        if (ORIGINAL[sig] == null) ORIGINAL[sig] = old;
    }

    /** A forked child has no Signal Dispatcher thread: only SIG_DFL and SIG_IGN, set directly in libc. */
    private static Disposition changeInChild(int sig, Kind kind) {
        if (kind == Kind.HANDLER || kind == Kind.TRACE) {
            throw new IllegalStateException("a forked child cannot run Java signal handlers: the JVM's Signal Dispatcher "
                    + "thread stayed in the kernel (fork copies only the calling thread). In a child use signal.SIG_DFL "
                    + "or signal.SIG_IGN; catch signals in the kernel");
        }
        long old = Native.libc().signal(sig, kind == Kind.IGNORED ? LibC.SIG_IGN : LibC.SIG_DFL);
        Kind was = old == LibC.SIG_IGN ? Kind.IGNORED : old == LibC.SIG_DFL ? Kind.DEFAULT : Kind.INERT;
        return new Disposition(was, null);
    }

    private static void checkCatchable(int sig, Kind kind) {
        if (KIND[sig] == Kind.UNCATCHABLE) {
            throw new IllegalArgumentException(Signals.name(sig) + " cannot be caught, blocked or ignored: the operating "
                    + "system acts on it directly (" + (sig == Signals.SIGKILL ? "the process ends" : "the process stops") + ")");
        }
        if (KIND[sig] == Kind.RESERVED) {
            throw new IllegalArgumentException(Signals.name(sig) + " is reserved by the JVM: " + RESERVED.get(sig));
        }
        if (sig == 32 || sig == 33) {
            throw new IllegalArgumentException("signal " + sig + " is reserved by the C library (threads)");
        }
    }

    static void checkNumber(int sig) {
        if (sig < 1 || sig > MAX_SIGNAL) {
            throw new IllegalArgumentException(Signals.parse(Integer.toString(sig)) + ""); // throws with the valid names
        }
    }

    // ------------------------------------------------------------------ dispatch

    /** On the JVM's short-lived "SIGxxx handler" thread: never runs cell code here. */
    private static void onSignal(int sig) {
        RECEIVED[sig].incrementAndGet();
        Kind kind = KIND[sig];
        if (kind == Kind.HANDLER || kind == Kind.TRACE) {
            ensureHandlerThread();
            QUEUE.add(sig);
            return;
        }
        if (kind == Kind.DEFAULT && sig == Signals.SIGINT) {
            try {
                kernelInterrupt.run();
            } catch (RuntimeException e) {
                Log.warn("interrupt on SIGINT failed: " + e);
            }
        }
        done(sig); // IGNORED (Java-level) or the kernel interrupt
    }

    private static void done(int sig) {
        HANDLED[sig].incrementAndGet();
        synchronized (PROGRESS) {
            progress++;
            PROGRESS.notifyAll();
        }
    }

    private static synchronized void ensureHandlerThread() {
        if (handlerThread != null) return;
        Thread t = new Thread(KernelSignals::handlerLoop, HANDLER_THREAD);
        t.setDaemon(true);
        handlerThread = t;
        t.start();
    }

    private static void handlerLoop() {
        while (true) {
            int sig;
            try {
                sig = QUEUE.take();
            } catch (InterruptedException e) {
                continue;
            }
            try {
                runHandler(sig);
            } finally {
                done(sig);
            }
        }
    }

    private static void runHandler(int sig) {
        Handler h;
        synchronized (LOCK) {
            h = KIND[sig] == Kind.HANDLER || KIND[sig] == Kind.TRACE ? HANDLERS[sig] : null;
        }
        if (h == null) return; // changed back to default or ignored before this arrival was handled
        CellOutput out = CellOutput.current();
        if (out != null) {
            Object cell = out.runningCell();
            out.setThreadCell(cell != null ? cell : CellOutput.NEXT_CELL);
        }
        Thread.interrupted();
        try {
            h.handle(sig);
        } catch (CellInterrupted e) {
            System.err.println("the " + Signals.name(sig) + " handler was stopped: the cell was interrupted");
        } catch (Throwable t) {
            System.err.println("Exception in the " + Signals.name(sig) + " handler: " + t);
            for (StackTraceElement e : t.getStackTrace()) {
                if (e.getClassName().startsWith("jfork.execution.KernelSignals")) break;
                System.err.println("\tat " + e);
            }
        } finally {
            System.out.flush();
            System.err.flush();
        }
    }

    // ------------------------------------------------------------------ sending

    /**
     * kill(2) with the kernel's rules: no process groups (pid &lt;= 0), not init, not the kernel's
     * parent, not the kernel itself with a signal that would end, stop or crash it. {@code force}
     * lifts the rules (except pid -1, every process). A signal the kernel sends itself is handled
     * before this returns (as in Python); SIGINT then ends the running cell.
     */
    public static void send(int pid, int sig, boolean force, String who) {
        checkSendable(sig);
        if (pid == -1) {
            throw new IllegalArgumentException(who + " refuses pid -1: it would signal every process this user may signal"
                    + (force ? " (not even with --force)" : ""));
        }
        if (!force) {
            if (pid <= 0) {
                throw new IllegalArgumentException(who + " refuses pid " + pid + ": 0 and negative pids signal process "
                        + "groups (0 = the kernel's own group, -1 = every process); use os.killpg(pgid, sig) or %kill --force");
            }
            if (pid == 1) throw new IllegalArgumentException(who + " refuses pid 1: it is init, the system's first process");
            if (pid == KERNEL_PARENT) {
                throw new IllegalArgumentException(who + " refuses pid " + pid + ": it is the kernel's parent (the Jupyter "
                        + "server or launcher)");
            }
            if (pid == KERNEL_PID) {
                String why = refusalToKernel(sig);
                if (why != null) throw new IllegalArgumentException(who + " refuses to send " + Signals.name(sig)
                        + " to the kernel itself (pid " + pid + "): " + why);
            }
        }
        boolean self = pid == KERNEL_PID && !Forker.isChild();
        long handledBefore = sig >= 1 ? HANDLED[sig].get() : 0;
        if (Native.posix().kill(pid, sig) != 0) throw killFailed(pid, sig, Native.posix().errno());
        if (self && sig >= 1 && DISPATCHING[sig]) awaitOwnDelivery(sig, handledBefore);
    }

    /** Python's os.killpg: a process group. Refuses group 0/1 and groups holding the kernel's parent or the kernel. */
    public static void sendGroup(int pgid, int sig, String who) {
        checkSendable(sig);
        if (pgid <= 1) {
            throw new IllegalArgumentException(who + " refuses process group " + pgid + (pgid == 0
                    ? ": 0 means the kernel's own group" : pgid == 1 ? ": it is init's group" : ": a group id is positive"));
        }
        ProcState parent = ProcState.read(KERNEL_PARENT);
        if (parent != null && parent.pgrp() == pgid) {
            throw new IllegalArgumentException(who + " refuses process group " + pgid + ": the kernel's parent is in it");
        }
        ProcState kernel = ProcState.read(KERNEL_PID);
        if (kernel != null && kernel.pgrp() == pgid) {
            String why = refusalToKernel(sig);
            if (why != null) {
                throw new IllegalArgumentException(who + " refuses process group " + pgid + ": the kernel is in it and " + why);
            }
        }
        if (Native.posix().kill(-pgid, sig) != 0) throw killFailed(-pgid, sig, Native.posix().errno());
    }

    /** kill(2)'s errno in words: the target, the signal, and for EPERM who runs as whom. */
    private static PosixException killFailed(int pid, int sig, int errno) {
        String target = pid < 0 ? "group " + -pid : Integer.toString(pid);
        String why = switch (errno) {
            case 3 -> " [no such process: " + target + " has ended or never existed]";
            case 1 -> " [not permitted: " + (pid < 0 ? "group " + -pid + " holds a process of another user or a protected one"
                    : whyNotPermitted(pid)) + "]";
            default -> "";
        };
        return new PosixException("kill(" + target + ", " + Signals.name(sig) + ")" + why, errno);
    }

    /** kill(2) needs the sender's real or effective uid to match the target's real or saved uid, or root. */
    private static String whyNotPermitted(int pid) {
        int theirs = ProcessOwner.realUid(pid);
        int mine = Native.posix().geteuid();
        if (theirs < 0) return pid + " belongs to another user or is protected";
        if (theirs != mine) {
            return pid + " runs as " + ProcessOwner.describe(theirs) + ", this process as " + ProcessOwner.describe(mine)
                    + "; only root may signal another user's processes";
        }
        return pid + " runs as " + ProcessOwner.describe(theirs) + " like this process, but is protected "
                + "(a set-user-ID program, or a process outside this one's namespace)";
    }

    private static void checkSendable(int sig) {
        if (sig == 0) return; // the existence probe of kill(2)
        checkNumber(sig);
    }

    /**
     * Why sending {@code sig} to the kernel would harm it, or null when it is safe: SIGINT (interrupt),
     * a signal with a cell handler or ignored, one whose default is to do nothing, SIGQUIT (thread
     * dump to the kernel log) and SIGPIPE (the JVM ignores it).
     */
    public static String refusalToKernel(int sig) {
        if (sig == 0) return null;
        Kind k = KIND[sig];
        if (k == Kind.HANDLER || k == Kind.TRACE || k == Kind.IGNORED) return null;
        if (sig == Signals.SIGINT || sig == Signals.SIGQUIT || sig == Signals.SIGPIPE) return null;
        if (k == Kind.UNCATCHABLE) return sig == Signals.SIGKILL ? "SIGKILL would end it" : "SIGSTOP would freeze it";
        if (k == Kind.RESERVED) return "the JVM handles " + Signals.name(sig) + " itself and would treat it as a fault";
        if (sig == Signals.SIGTERM || sig == Signals.SIGHUP) {
            return "the JVM would shut the kernel down (install a handler first: signal.signal(signal."
                    + Signals.name(sig) + ", s -> ...))";
        }
        String action = defaultAction(sig);
        if (action.equals("ignore") || action.equals("continue")) return null;
        return "its default action is to " + action + " the process and the kernel has no handler for it (install one "
                + "first: signal.signal(" + Signals.name(sig) + ", s -> ...), or use %kill --force)";
    }

    /** Waits until the dispatcher has handled a signal the kernel sent itself; SIGINT then stops the cell. */
    private static void awaitOwnDelivery(int sig, long handledBefore) {
        if (Thread.currentThread() == handlerThread) return; // a handler signalling: it would wait for itself
        long deadline = System.currentTimeMillis() + SELF_DELIVERY_WAIT_MS;
        synchronized (PROGRESS) {
            while (HANDLED[sig].get() <= handledBefore || HANDLED[sig].get() < RECEIVED[sig].get()) {
                long left = deadline - System.currentTimeMillis();
                if (left <= 0) break;
                try {
                    PROGRESS.wait(Math.min(left, 20));
                } catch (InterruptedException e) {
                    break;
                }
            }
        }
        Thread.interrupted();
        if (Interrupts.requested()) throw new CellInterrupted();
    }

    // ------------------------------------------------------------------ alarm and pause

    /** alarm(2); refuses to arm it while SIGALRM would end the kernel. */
    public static int alarm(int seconds) {
        if (seconds < 0) throw new IllegalArgumentException("signal.alarm needs seconds >= 0, got " + seconds);
        if (seconds > 0 && !Forker.isChild() && KIND[Signals.SIGALRM] == Kind.DEFAULT) {
            throw new IllegalStateException("signal.alarm(" + seconds + ") would end the kernel: SIGALRM's default action "
                    + "terminates the process. Install a handler first: signal.signal(signal.SIGALRM, s -> ...)");
        }
        return Native.libc().alarm(seconds);
    }

    /** Waits until a signal handler has run (or SIGINT interrupted the cell); the kernel's interrupt ends it. */
    public static void pause() {
        if (Forker.isChild()) {
            Native.libc().pause();
            return;
        }
        if (Thread.currentThread() == handlerThread) {
            throw new IllegalStateException("signal.pause() inside a signal handler would wait for itself");
        }
        synchronized (PROGRESS) {
            long start = progress;
            while (progress == start) {
                if (Interrupts.requested()) throw new CellInterrupted();
                try {
                    PROGRESS.wait(50);
                } catch (InterruptedException e) {
                    if (Interrupts.requested()) throw new CellInterrupted();
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        }
        if (Interrupts.requested()) throw new CellInterrupted();
    }

    // ------------------------------------------------------------------ description

    public static int kernelPid() {
        return KERNEL_PID;
    }

    public static int kernelParent() {
        return KERNEL_PARENT;
    }

    public static long received(int sig) {
        return RECEIVED[sig].get();
    }

    public static long handled(int sig) {
        return HANDLED[sig].get();
    }

    /** The default action of a Linux signal, as signal(7) lists it. */
    public static String defaultAction(int sig) {
        return switch (sig) {
            case 17, 23, 28 -> "ignore"; // CHLD, URG, WINCH
            case 18 -> "continue";
            case 19, 20, 21, 22 -> "stop";
            case 3, 4, 5, 6, 7, 8, 11, 24, 25, 31 -> "core-dump";
            default -> "terminate";
        };
    }

    /** One line for %signal: the signal's disposition in the kernel, in words. */
    public static String describe(int sig) {
        Kind k;
        Handler h;
        synchronized (LOCK) {
            k = KIND[sig];
            h = HANDLERS[sig];
        }
        return switch (k) {
            case UNCATCHABLE -> "cannot be caught or ignored";
            case RESERVED -> "reserved by the JVM: " + RESERVED.get(sig);
            case HANDLER -> "handler (set by a cell)";
            case TRACE -> "trace (%signal --trace prints each arrival)";
            case IGNORED -> "ignored";
            case INERT -> "caught by the JVM, which in a forked child runs nothing";
            case DEFAULT -> describeDefault(sig);
        };
    }

    private static String describeDefault(int sig) {
        if (sig == Signals.SIGINT) return "kernel: interrupts the running cell (like KeyboardInterrupt)";
        if (sig == Signals.SIGTERM || sig == Signals.SIGHUP) return "JVM: shuts the kernel down";
        long[] masks = procMasks();
        long bit = 1L << (sig - 1);
        if ((masks[0] & bit) != 0) return "ignored (inherited when the kernel started)";
        if ((masks[1] & bit) != 0) return "caught by the JVM";
        return "default (" + defaultAction(sig) + ")";
    }

    /** SigIgn and SigCgt of /proc/self/status. */
    private static long[] procMasks() {
        long[] m = new long[2];
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("SigIgn:")) m[0] = Long.parseUnsignedLong(line.substring(7).trim(), 16);
                if (line.startsWith("SigCgt:")) m[1] = Long.parseUnsignedLong(line.substring(7).trim(), 16);
            }
        } catch (IOException | NumberFormatException e) {
            // leave zeros: described as default
        }
        return m;
    }
}
