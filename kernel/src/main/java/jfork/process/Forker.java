package jfork.process;

import java.io.IOException;
import java.io.PrintStream;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicReference;
import jnr.posix.POSIX;

/**
 * Safe fork(2) of this JVM. Call {@link #fork} from ONE long-lived thread: the child keeps only
 * that thread, and PR_SET_PDEATHSIG fires when the forking <em>thread</em> ends.
 *
 * <p>What makes it safe enough (see shared notes jvm-fork.md): wait until HotSpot's VM/GC/JIT
 * threads are idle; in the child touch only code and classes the parent already used (see
 * {@link #warmUp}); give each child stdout/stderr/control pipes; require a STARTED record within a
 * deadline, else SIGKILL, reap and retry (most hangs happen before user code runs).
 *
 * <p>Measured (test JVM: JDK 17, -XX:+UseSerialGC -Xmn256m -Xmx1g, RSS ~130 MB, 2 cores at load
 * average ~2.5 from other work): fork + STARTED + child _exit + waitpid, median of 40, was
 * 24-60 ms over seven runs (p90 41-234 ms, the worst during a load spike). A bare jnr fork + _exit + waitpid in the same JVM took
 * 29-56 ms, and CPython at 130 MB took 15 ms at the same moment (4.8 ms on an idle machine per
 * jvm-fork.md): the page-table copy and machine load dominate, not this class. The VM-idle check
 * costs ~0.1-0.25 ms; C1/C2 threads were still busy after the 20 ms limit in 1-16 of 40 forks.
 */
public final class Forker {
    /** The child found its parent already gone right after PR_SET_PDEATHSIG. */
    public static final int EXIT_ORPHANED = 125;
    /** The child could not write STARTED on its control pipe. */
    public static final int EXIT_NO_CONTROL = 124;
    public static final int DEFAULT_MAX_CHILDREN = 64;
    public static final long DEFAULT_START_TIMEOUT_MS = 1000;
    static final int MAX_ATTEMPTS = 3;
    /** How often a child that has not written STARTED yet is looked at (see readFully). */
    private static final int STUCK_CHECK_MS = 20;
    /**
     * Forks given up quickly (a child that found a HotSpot mutex held, or was seen stuck before
     * STARTED) before they count as attempts: such a retry costs ~0.1 s, and the conditions behind
     * it (GCs every ~80 ms in the stress test: a safepoint begun during fork()) can last a while.
     */
    private static final int MAX_QUICK_RETRIES = 20;

    /** Why a new child did not start; both kinds it reports itself or is seen in are cheap to retry. */
    private record StartFailure(String reason, Kind kind) {
        enum Kind { MUTEX_HELD, STUCK, OTHER }

        static StartFailure other(String reason) { return new StartFailure(reason, Kind.OTHER); }

        boolean quickToRetry() { return kind != Kind.OTHER; }
    }
    private static final boolean TIMING = System.getenv("JFORK_TIMING") != null;
    // The JIT, GC and VM threads are idle within a few ms in steady state; after a burst of compiling
    // (a fresh kernel, a fresh cell) the compiler can stay busy for seconds on a loaded machine, and
    // forking while it holds a class-resolution lock hangs the child (seen: the first child of a
    // fresh kernel, at load 14, hung in SystemDictionary::add_loader_constraint). Waiting is the
    // cheaper failure: a slow first fork instead of a child reported hung.
    static final long VM_IDLE_MAX_NANOS = 3_000_000_000L;
    private static final int EINTR = 4;

    /** The JVM process that loaded this class; every other pid running this code is a forked child. */
    private static final int KERNEL_PID = Native.libc().getpid();
    private static final byte[] STARTED_RECORD = ControlFrames.encode(ControlFrames.STARTED, new byte[0]);
    /**
     * Reset to SIG_DFL in the child: HotSpot's handlers for these post to the Signal Dispatcher
     * thread, which a child does not have, so they would do nothing. SIGPIPE is left to HotSpot on
     * purpose: a write to a closed pipe then fails with EPIPE (an IOException, as in any JVM)
     * instead of killing the child silently with no report.
     */
    private static final int[] RESET_SIGNALS = {Signals.SIGINT, Signals.SIGTERM, Signals.SIGHUP, Signals.SIGQUIT};
    /** HotSpot blocks SIGQUIT in all threads but the VM thread: unblock the reset signals too. */
    private static final long[] RESET_MASK = new long[16];
    private static final long[] SCRATCH_MASK = new long[16];

    static {
        for (int sig : RESET_SIGNALS) RESET_MASK[(sig - 1) / 64] |= 1L << ((sig - 1) % 64);
    }

    /** Test seam: runs in the child before STARTED, to simulate a child that hangs while starting. */
    static volatile Runnable beforeStartedForTests;

    // Child-side state (meaningful only in a forked child).
    private static volatile Runnable[] childHooks = new Runnable[0];
    private static volatile FdOutputStream controlOut;

    private static final class Holder { static final Forker INSTANCE = new Forker(); }

    /** The process-wide forker (one output pump, one table). */
    public static Forker get() { return Holder.INSTANCE; }

    private volatile Children children = new Children();
    private volatile OutputPump pump;
    private final VmMutexes vmMutexes = VmMutexes.locate();
    private final VmThreadsIdle vmIdle = new VmThreadsIdle(vmMutexes);
    private final IcStubs icStubs = IcStubs.locate(vmMutexes);
    /** Filled in by a child that finds a HotSpot mutex held: [type][length 8][mutex index][holder tid]. */
    private final byte[] mutexHeldRecord = new byte[ControlFrames.HEADER + 8];
    /** The Serial collector's eden, read in place; null elsewhere. */
    private final EdenSpace eden = EdenSpace.locate();
    private final HugePages.Keeper hugePages = new HugePages.Keeper(this::aChildIsRunning, vmIdle::release,
            eden == null ? null : new EdenPrefault(eden));
    private final EdenHeadroom edenHeadroom = EdenHeadroom.detect();
    private final ChildCompilerOff compilerOff = ChildCompilerOff.locate();
    private final UnsharedEden unsharedEden = UnsharedEden.create(eden);
    private final AtomicReference<Thread> forkThread = new AtomicReference<>();
    private volatile int maxChildren = DEFAULT_MAX_CHILDREN;
    private volatile long startTimeoutMillis = DEFAULT_START_TIMEOUT_MS;
    private volatile int retries;
    private final java.util.ArrayDeque<String> recentRetries = new java.util.ArrayDeque<>();
    private static final int RECENT_RETRIES_KEPT = 8;
    private volatile int vmBusyForks;
    private volatile long vmIdleMaxNanos = VM_IDLE_MAX_NANOS;

    private Forker() {
        pump = new OutputPump(() -> children.reapExited());
        warmUp();
        vmIdle.prepare(); // in the background at start-up (the preload thread), not in the first fork
        hugePages.touched(); // warmed up: eden is made resident in the first quiet moment
    }

    // ---------------------------------------------------------------- parent side

    /**
     * Forks. Returns 0 in the child, the child's pid in the parent — only once the child has
     * written STARTED. Output of the child goes to {@code out} (on the pump thread).
     * In a forked child this is a plain fork: the grandchild shares the child's fds 1, 2 and
     * control pipe, so {@code out} is not used there.
     */
    public int fork(String label, ChildOutput out) {
        return fork(label, out, false);
    }

    /**
     * The same; longLived: the child will run beside the kernel for a while (a pool worker), so the
     * free part of eden is kept out of it ({@link UnsharedEden}): both sides then allocate without
     * copy-on-write faults. Not for every fork: it costs a child that exits at once ~0.4 ms.
     */
    public int fork(String label, ChildOutput out, boolean longLived) {
        Objects.requireNonNull(out, "out");
        if (isChild()) return forkNested(label);
        checkForkThread();
        ForkHooks.runBeforeFork();
        children.reapExited();
        int alive = children.liveCount();
        if (alive >= maxChildren) throw new ForkRefusedException(alive, maxChildren);
        ensureChildHeadroom();
        StringBuilder why = new StringBuilder();
        int quickRetries = 0, failures = 0;
        for (int attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
            long tPipes = System.nanoTime();
            int[] o = pipe("stdout"), e = null, c = null;
            try {
                e = pipe("stderr");
                c = pipe("control");
            } catch (PosixException ex) {
                closeAll(o, e);
                throw ex;
            }
            int[] owned = pump.ownedFds();
            int[] closeInChild = Arrays.copyOf(owned, owned.length + 3);
            closeInChild[owned.length] = o[0];
            closeInChild[owned.length + 1] = e[0];
            closeInChild[owned.length + 2] = c[0];
            int parent = Native.libc().getpid();
            int pid;
            long tGate = System.nanoTime();
            long tFork;
            boolean gateClosed = ForkGate.close();
            boolean wiped = false;
            // Compilation requests stop before the wait for idle VM threads, not just for the fork:
            // the JIT threads then finish what they compile and stay idle, instead of starting the
            // next compilation (and taking CodeCache_lock to install it) right after the wait saw
            // them idle; a child that patches compiled code first thing needs that lock (gdb:
            // Runtime1::patch_code before STARTED). The child is born with requests stopped.
            boolean compilerPaused = compilerOff != null && compilerOff.pauseForFork();
            try {
                // A child that needs an inline-cache stub when the buffer is full waits for ever
                // for the safepoint that would empty it (see IcStubs). Before the idle wait, which
                // then also covers the VM thread finishing that safepoint.
                if (icStubs != null && icStubs.used() > IcStubs.USED_BEFORE_EMPTYING) icStubs.emptyWithASafepoint();
                awaitVmIdle(label);
                // A child whose first allocation needs a GC waits for ever for the VM thread.
                // Last, closest to the fork: threads of the cell may fill eden meanwhile.
                if (edenHeadroom != null && edenHeadroom.free() < EdenHeadroom.AT_FORK) {
                    System.gc();
                    awaitVmIdle(label);
                }
                tFork = System.nanoTime();
                wiped = longLived && unsharedEden != null && unsharedEden.beforeFork();
                pid = Native.posix().fork();
            } finally {
                if (wiped) unsharedEden.afterFork(Native.libc().getpid() != parent);
                // in the parent (the child returns below, and keeps requests stopped)
                if (compilerPaused && Native.libc().getpid() == parent) compilerOff.resumeAfterFork();
                ForkGate.open(gateClosed);
            }
            if (pid == 0) {
                // compilation off first: the mutex check loops, and a compile request it triggered
                // would meet the compile queue's condition variable and its vanished waiter
                if (compilerOff != null) compilerOff.apply(true);
                leaveIfVmMutexHeld(c[1], false);
                becomeChild(closeInChild, o[1], e[1], c[1], parent);
                return 0;
            }
            int errno = Native.posix().errno();
            closeFd(o[1]);
            closeFd(e[1]);
            closeFd(c[1]);
            if (pid < 0) {
                closeFd(o[0]);
                closeFd(e[0]);
                closeFd(c[0]);
                throw new PosixException("fork() [" + label + "]", errno);
            }
            children.add(pid, parent, label);
            long tForked = System.nanoTime();
            StartFailure failure = awaitStarted(pid, c[0], startTimeoutMillis);
            if (TIMING) System.err.printf("[jfork] fork phases ms: pipes %.2f, gate+idle %.2f, fork %.2f, started %.2f%n",
                    (tGate - tPipes) / 1e6, (tFork - tGate) / 1e6, (tForked - tFork) / 1e6, (System.nanoTime() - tForked) / 1e6);
            if (failure == null) {
                pump.register(pid, o[0], e[0], c[0], out);
                hugePages.touched();
                return pid;
            }
            String seen = failure.kind() == StartFailure.Kind.MUTEX_HELD ? "it stopped itself" : describeStuckChild(pid);
            Native.posix().kill(pid, Signals.SIGKILL);
            ExitStatus st = children.waitpid(pid, 0).status();
            children.remove(pid);
            closeFd(o[0]);
            closeFd(e[0]);
            closeFd(c[0]);
            retries++;
            failures++;
            if (failure.quickToRetry() && ++quickRetries <= MAX_QUICK_RETRIES) attempt--;
            boolean again = attempt < MAX_ATTEMPTS;
            String retry = "fork [" + label + "]: child " + pid + " " + failure.reason() + " (" + seen + "); killed it"
                    + (again ? ", forking again" : ", giving up");
            synchronized (recentRetries) {
                if (recentRetries.size() == RECENT_RETRIES_KEPT) recentRetries.removeFirst();
                recentRetries.addLast(retry);
            }
            jfork.Log.warn(retry);
            why.append(why.length() == 0 ? "" : "; ").append("pid ").append(pid).append(' ').append(failure.reason())
                    .append(" (then ").append(st).append(')');
        }
        throw new ForkFailedException("fork [" + label + "] failed " + failures + " times: " + why);
    }

    private void awaitVmIdle(String label) {
        if (vmIdle.await(vmIdleMaxNanos)) return;
        vmBusyForks++;
        String held = vmIdle.lastHeldMutex();
        if (held != null) jfork.Log.warn("fork [" + label + "]: HotSpot's " + held + " still held after "
                + vmIdleMaxNanos / 1_000_000 + " ms; forking anyway (the child checks again)");
    }

    /** Forks and runs body in the child, which then exits (code 0, or 1 after printing an uncaught throwable). */
    public ForkedProcess start(String label, ChildOutput out, Runnable body) {
        return start(label, out, false, body);
    }

    ForkedProcess start(String label, ChildOutput out, boolean longLived, Runnable body) {
        int pid = fork(label, out, longLived);
        if (pid == 0) {
            int code = 0;
            try {
                body.run();
            } catch (Throwable t) {
                t.printStackTrace();
                code = 1;
            }
            exitChild(code);
        }
        return new ForkedProcess(this, pid, label);
    }

    /**
     * Signals every live child's process group, SIGKILLs the ones still alive after graceMillis,
     * reaps them all and closes their pipes (waiting briefly for output to drain).
     * Returns how many needed SIGKILL. For shutdown, restart and interrupt.
     */
    public int killAll(int signal, long graceMillis) {
        var targets = children.live();
        OutputPump p = pump;
        if (p != null) {
            // Children already reaped whose pipes are still open: their descendants live on in the
            // child's process group (the group id is not reused while the group has members).
            for (int pid : p.openPids()) {
                if (children.get(pid) == null || children.get(pid).reaped()) {
                    Native.posix().kill(-pid, signal);
                    Native.posix().kill(-pid, Signals.SIGKILL);
                }
            }
        }
        int escalated = children.killAll(signal, graceMillis);
        if (p != null) {
            for (ChildInfo c : targets) {
                // Descendants that escaped the group may still hold the pipes: stop waiting for them.
                if (!p.awaitClosed(c.pid(), 200)) p.forget(c.pid());
            }
            for (ChildInfo c : targets) p.awaitClosed(c.pid(), 1000);
        }
        return escalated;
    }

    public Children children() { return children; }

    /** Forks whose child got the free part of eden as fresh pages (see {@link UnsharedEden}); -1 when not available. */
    public int unsharedEdenForks() { return unsharedEden == null ? -1 : unsharedEden.forks(); }

    /** Collects first if a child forked now could not allocate {@link EdenHeadroom#BYTES}; every fork does this. */
    public void ensureChildHeadroom() {
        if (edenHeadroom != null) edenHeadroom.ensure();
    }

    /** Bytes a child forked now could allocate before it would need a GC (0 when unknown). */
    public long childAllocationRoom() {
        return edenHeadroom == null ? 0 : edenHeadroom.free();
    }

    private boolean aChildIsRunning() {
        for (ChildInfo c : children.live()) {
            ProcState st = ProcState.read(c.pid());
            if (st != null && st.state() == 'R') return true;
        }
        return false;
    }

    /** Restores the huge pages that forks split, once forking pauses. */
    public HugePages.Keeper hugePages() { return hugePages; }

    /** Work was handed to children or came back from them (a pool call): housekeeping waits for a quiet moment. */
    public void childWorkActive() { hugePages.touched(); }

    public OutputPump pump() { return pump; }

    public int maxChildren() { return maxChildren; }

    /** Cap on live children; forks beyond it throw {@link ForkRefusedException}. */
    public void setMaxChildren(int cap) {
        if (cap < 1) throw new IllegalArgumentException("cap must be >= 1, got " + cap);
        maxChildren = cap;
    }

    public long startTimeoutMillis() { return startTimeoutMillis; }

    /** How long a child may take to write STARTED before it is killed and the fork retried. */
    public void setStartTimeoutMillis(long millis) {
        if (millis < 1) throw new IllegalArgumentException("timeout must be >= 1 ms, got " + millis);
        startTimeoutMillis = millis;
    }

    /** Forks retried because a child did not start in time or found a HotSpot mutex held (since the JVM started). */
    public int retries() { return retries; }

    /** Why the latest retries happened (what each child was doing when it was killed), oldest first. */
    public List<String> recentRetries() {
        synchronized (recentRetries) {
            return List.copyOf(recentRetries);
        }
    }

    /** How long a fork waits for idle VM threads and free HotSpot mutexes (tests shorten it). */
    void setVmIdleMaxNanos(long nanos) { vmIdleMaxNanos = nanos; }

    VmMutexes vmMutexes() { return vmMutexes; }

    /** Forks done although VM threads stayed busy for the whole idle wait. */
    public int vmBusyForks() { return vmBusyForks; }

    private void checkForkThread() {
        Thread me = Thread.currentThread();
        if (forkThread.compareAndSet(null, me) || forkThread.get() == me) return;
        throw new IllegalStateException("fork from thread '" + me.getName() + "' refused: this kernel forks only from '"
                + forkThread.get().getName() + "' (children die with the thread that forked them, PR_SET_PDEATHSIG)");
    }

    /**
     * Reads the child's first control record: STARTED (returns null), or the report of a child that
     * found a HotSpot mutex held; anything else, or nothing in time, is returned as the reason.
     */
    private StartFailure awaitStarted(int pid, int fd, long timeoutMillis) {
        long deadline = System.nanoTime() + timeoutMillis * 1_000_000L;
        byte[] header = new byte[ControlFrames.HEADER];
        StartFailure failure = readFully(pid, fd, header, deadline, timeoutMillis);
        if (failure != null) return failure;
        if (Arrays.equals(header, STARTED_RECORD)) return null;
        if (header[0] != ControlFrames.VM_MUTEX_HELD) return StartFailure.other("wrote a first control record that is not STARTED");
        byte[] payload = new byte[8];
        failure = readFully(pid, fd, payload, deadline, timeoutMillis);
        if (failure != null) return failure;
        java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(payload);
        int index = b.getInt(), tid = b.getInt();
        if (index == vmMutexes.count()) {
            return new StartFailure("found HotSpot's safepoint in progress at the fork: the child's first safepoint "
                    + "poll would wait for a VM thread it does not have", StartFailure.Kind.MUTEX_HELD);
        }
        String holder = tid == 0 ? "" : " by thread '" + threadName(tid) + "' (tid " + tid + ")";
        return new StartFailure("found HotSpot's " + vmMutexes.name(index) + " held" + holder
                + " at the fork: the child could never take it", StartFailure.Kind.MUTEX_HELD);
    }

    private static String threadName(int tid) {
        try {
            return java.nio.file.Files.readString(java.nio.file.Path.of("/proc/self/task/" + tid + "/comm")).trim();
        } catch (IOException | RuntimeException e) {
            return "gone";
        }
    }

    /**
     * Fills buf from fd by the deadline; null on success, else why not. Checks the child every
     * {@value #STUCK_CHECK_MS} ms meanwhile: before STARTED a child has nothing to wait for, so one
     * found in an untimed futex wait with no CPU used, three times in a row, is stuck (a safepoint
     * or a GC it waits for, a lock a vanished thread held) and is given up at once, not at the deadline.
     */
    private static StartFailure readFully(int pid, int fd, byte[] buf, long deadline, long timeoutMillis) {
        byte[] chunk = new byte[buf.length];
        int have = 0;
        int[] pfd = new int[2];
        long start = System.nanoTime(), lastTicks = -1;
        int stuckReadings = 0;
        while (have < buf.length) {
            long left = (deadline - System.nanoTime()) / 1_000_000L;
            if (left <= 0) return StartFailure.other("wrote no STARTED record within " + timeoutMillis + " ms");
            pfd[0] = fd;
            pfd[1] = LibC.POLLIN;
            int r = Native.libc().poll(pfd, 1, (int) Math.min(left, STUCK_CHECK_MS));
            if (r < 0 && Native.posix().errno() == EINTR) continue;
            if (r < 0) return StartFailure.other("poll on its control pipe failed: " + PosixException.describe(Native.posix().errno()));
            if (r == 0) {
                ProcState st = ProcState.read(pid);
                boolean stuck = st != null && st.cpuTicks() == lastTicks && HangWatch.untimedFutexWaitAll(pid) != null;
                lastTicks = st == null ? -1 : st.cpuTicks();
                stuckReadings = stuck ? stuckReadings + 1 : 0;
                if (stuckReadings >= 3) {
                    return new StartFailure("wrote no STARTED record and was stuck after "
                            + (System.nanoTime() - start) / 1_000_000 + " ms", StartFailure.Kind.STUCK);
                }
                continue;
            }
            int n = Native.posix().read(fd, chunk, buf.length - have);
            if (n == 0) return StartFailure.other("ended before writing STARTED");
            if (n < 0) {
                if (Native.posix().errno() == EINTR) continue;
                return StartFailure.other("control pipe read failed: " + PosixException.describe(Native.posix().errno()));
            }
            System.arraycopy(chunk, 0, buf, have, n);
            have += n;
        }
        return null;
    }

    /**
     * What a child that never wrote STARTED was doing when we gave up on it, for the kernel log:
     * a hang (blocked, no CPU used) and a child starved of CPU on a loaded machine (runnable) call
     * for different fixes.
     */
    private String describeStuckChild(int pid) {
        ProcState st = ProcState.read(pid);
        if (st == null) return "already gone";
        String futex = HangWatch.untimedFutexWaitAll(pid);
        int mutex = futex == null || vmMutexes == null ? -1 : vmMutexes.containing(HangWatch.futexAddress(pid));
        if (mutex >= 0) futex += " on HotSpot's " + vmMutexes.name(mutex);
        if (futex != null && NativeBacktrace.WANTED) jfork.Log.warn("stuck child " + pid + " backtrace:\n" + NativeBacktrace.of(pid));
        return "state " + st.state() + (st.state() == 'R' ? " (running, or waiting for a CPU)" : "")
                + ", " + st.cpuTicks() + " CPU ticks" + (futex != null ? ", " + futex : "");
    }

    private static int[] pipe(String what) {
        int[] fds = new int[2];
        if (Native.posix().pipe(fds) < 0) throw PosixException.last("pipe() for a child's " + what);
        return fds;
    }

    private static void closeAll(int[]... pairs) {
        for (int[] p : pairs) if (p != null) { closeFd(p[0]); closeFd(p[1]); }
    }

    private static void closeFd(int fd) { Native.posix().close(fd); }

    // ---------------------------------------------------------------- child side

    /**
     * First thing in a child: if a HotSpot mutex is held (by a thread of the parent that does not
     * exist here, caught between the parent's check and the fork), tells the parent which one and
     * stops with SIGKILL, before anything could wait for that mutex. The parent forks again.
     * With {@code dryRun} (the parent's warm-up) the same calls run with no effect, so that the
     * child's run resolves nothing new: resolving can itself take SystemDictionary_lock.
     */
    private void leaveIfVmMutexHeld(int controlFd, boolean dryRun) {
        if (vmMutexes == null) return;
        int held = vmMutexes.firstHeld();
        if (held < 0 && !dryRun) return;
        int tid = vmMutexes.ownerTid(Math.max(held, 0));
        byte[] r = mutexHeldRecord;
        r[0] = ControlFrames.VM_MUTEX_HELD;
        r[1] = 0; r[2] = 0; r[3] = 0; r[4] = 8;
        r[5] = (byte) (held >>> 24); r[6] = (byte) (held >>> 16); r[7] = (byte) (held >>> 8); r[8] = (byte) held;
        r[9] = (byte) (tid >>> 24); r[10] = (byte) (tid >>> 16); r[11] = (byte) (tid >>> 8); r[12] = (byte) tid;
        POSIX p = Native.posix();
        p.write(controlFd, r, r.length);
        p.kill(Native.libc().getpid(), dryRun ? 0 : Signals.SIGKILL);
    }

    /**
     * Runs in the child right after fork. Only this thread exists: no allocation-heavy work, no
     * class or call site the parent has not already used ({@link #warmUp} touches each), no lock
     * another parent thread might have held (hence fresh Children, no pump).
     */
    private void becomeChild(int[] closeInChild, int outW, int errW, int ctlW, int parent) {
        LibC c = Native.libc();
        POSIX p = Native.posix();
        for (int sig : RESET_SIGNALS) c.signal(sig, LibC.SIG_DFL);
        c.pthread_sigmask(LibC.SIG_UNBLOCK, RESET_MASK, SCRATCH_MASK);
        c.prctl(LibC.PR_SET_PDEATHSIG, Signals.SIGKILL, 0, 0, 0);
        if (p.getppid() != parent) c._exit(EXIT_ORPHANED); // parent died before prctl took effect
        // Own process group: the kernel can kill a child with all its descendants, and
        // jupyter_client's SIGINT to the kernel's group does not reach it.
        p.setpgid(0, 0);
        p.dup2(outW, 1);
        p.dup2(errW, 2);
        if (outW > 2) p.close(outW);
        if (errW > 2) p.close(errW);
        for (int fd : closeInChild) if (fd > 2 && fd != ctlW) p.close(fd);
        controlOut = new FdOutputStream(ctlW);
        System.setOut(new PrintStream(new FdOutputStream(1), true));
        System.setErr(new PrintStream(new FdOutputStream(2), true));
        children = new Children();
        pump = null;
        Runnable seam = beforeStartedForTests;
        if (seam != null) seam.run();
        try {
            controlOut.write(STARTED_RECORD);
        } catch (IOException e) {
            c._exit(EXIT_NO_CONTROL);
        }
        Runnable[] hooks = childHooks;
        for (Runnable hook : hooks) hook.run();
    }

    /** A fork inside a forked child: no new pipes and no pump (there are no other threads). */
    private int forkNested(String label) {
        children.reapExited();
        int alive = children.liveCount();
        if (alive >= maxChildren) throw new ForkRefusedException(alive, maxChildren);
        int parent = Native.libc().getpid();
        int pid = Native.posix().fork();
        if (pid < 0) throw PosixException.last("fork() in forked child " + parent + " [" + label + "]");
        if (pid == 0) {
            Native.libc().prctl(LibC.PR_SET_PDEATHSIG, Signals.SIGKILL, 0, 0, 0);
            if (Native.posix().getppid() != parent) Native.libc()._exit(EXIT_ORPHANED);
            children = new Children();
            return 0;
        }
        children.add(pid, parent, label);
        return pid;
    }

    /** True in a forked child (and grandchild), false in the kernel process. */
    public static boolean isChild() { return Native.libc().getpid() != KERNEL_PID; }

    /** Runs in every child right after STARTED, in registration order (upper layers' setup). */
    public static synchronized void addChildHook(Runnable hook) {
        Objects.requireNonNull(hook, "hook");
        Runnable[] h = Arrays.copyOf(childHooks, childHooks.length + 1);
        h[h.length - 1] = hook;
        childHooks = h;
    }

    /**
     * Ends a forked child: flushes System.out/err, then libc _exit. Never System.exit: it waits
     * for VM threads a forked JVM does not have and hangs.
     */
    public static void exitChild(int code) {
        if (!isChild()) throw new IllegalStateException("exitChild(" + code + ") called in the kernel process itself");
        System.out.flush();
        System.err.flush();
        Native.libc()._exit(code);
    }

    /**
     * Sends a framed record to the parent's {@link ChildOutput#onControl}. Types 2..127; 1 is STARTED.
     * One write(2): records up to 4 KiB (PIPE_BUF) never interleave with a grandchild's.
     */
    public static void sendControl(byte type, byte[] payload) throws IOException {
        if (type < 2) throw new IllegalArgumentException("control type " + type + " is reserved; use 2..127");
        FdOutputStream out = controlOut;
        if (!isChild() || out == null) throw new IllegalStateException("sendControl is only for forked children");
        out.write(ControlFrames.encode(type, payload));
    }

    /**
     * Runs, in the parent, every call the child path makes, on harmless arguments: first use of a
     * class or call site in a child can need a VM thread the child does not have.
     */
    private void warmUp() {
        LibC c = Native.libc();
        POSIX p = Native.posix();
        int[] fds = pipe("warm-up");
        try {
            FdOutputStream raw = new FdOutputStream(fds[1]);
            PrintStream ps = new PrintStream(raw, true);
            ps.println("warm");
            ps.print('x');
            ps.flush();
            raw.write(STARTED_RECORD);
            raw.write(STARTED_RECORD, 1, 2);
            byte[] back = new byte[64];
            p.read(fds[0], back, back.length);
            leaveIfVmMutexHeld(fds[1], true);
        } catch (IOException e) {
            throw new IllegalStateException("warm-up write failed", e);
        } finally {
            closeAll(fds);
        }
        long old = c.signal(Signals.SIGALRM, LibC.SIG_DFL); // HotSpot leaves SIGALRM at default
        if (old != LibC.SIG_DFL) c.signal(Signals.SIGALRM, old);
        c.pthread_sigmask(LibC.SIG_BLOCK, new long[16], SCRATCH_MASK); // blocks nothing
        c.prctl(LibC.PR_GET_DUMPABLE, 0, 0, 0, 0);
        c.alarm(0);
        p.getppid();
        p.setpgid(0, -1); // EINVAL, changes nothing
        if (compilerOff != null) compilerOff.apply(false);
        p.dup2(0, 0);
        p.close(-1);
        System.setOut(System.out);
        System.setErr(System.err);
        System.out.flush();
        System.err.flush();
        new Children().reapExited();
        new PosixException("warm-up", Children.ESRCH).getMessage();
        ExitStatus.of(0).toString();
        isChild();
        for (Runnable hook : new Runnable[0]) hook.run();
    }
}
