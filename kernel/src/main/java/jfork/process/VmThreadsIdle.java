package jfork.process;

import java.io.File;
import java.io.FileInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.LockSupport;

/**
 * Waits (bounded) until every other thread of the JVM is not running: HotSpot's own (VM thread,
 * GC, JIT compilers) and the application's (ZeroMQ I/O, output flusher...). A thread caught
 * running at the instant of fork may hold a VM lock (compile queue, class loading, safepoint)
 * that nobody releases in the child; the child then hangs the first time it needs that lock, e.g.
 * when an interpreted method crosses its compile threshold (gdb: CompileBroker::compile_method_base
 * waiting on a mutex). A thread asleep holds no such short-lived lock.
 * Not thread-safe: used by the single fork thread.
 */
final class VmThreadsIdle {
    // Also the JDK's housekeeping threads, busy right after a GC (the kernel collects before a fork
    // when eden is short): the Service Thread cleans the JVM's tables under SystemDictionary_lock,
    // and a child forked meanwhile hung at its first cross-loader field access
    // (SystemDictionary::add_loader_constraint, gdb: 5 of 15 fresh kernels' first %%fork).
    private static final String[] VM_THREAD_PREFIXES = {
            "VM Thread", "GC Thread", "G1 ", "C1 CompilerThre", "C2 CompilerThre",
            "VM Periodic Tas", "Sweeper thread", "GC Conc", "Shenandoah", "ZDirector",
            "Service Thread", "Monitor Deflati", "Reference Handl", "Finalizer", "Common-Cleaner",
            "Notification Th"};

    private static final int O_RDONLY_CLOEXEC = 0x80000;
    private static final int STATE_PREFIX = 40;
    private final byte[] buf = new byte[512];
    private int knownTaskCount = -1;
    // The threads' stat files stay open between forks of a burst and are read with pread: opening
    // and closing ~30 of them twice a fork cost ~0.45 ms of a 5 ms round trip. Closed by release()
    // once forking pauses, so that an idle kernel holds no descriptor for them.
    private int[] vmStatFds = new int[0];
    private int[] otherStatFds = new int[0];
    private int selfStatFd = -1;
    private int openedBy = -1;
    private boolean warmedUp;
    /** The thread the lists were made for: they leave it out, so another thread must make its own. */
    private Thread scannedBy;
    private List<Integer> watchedTids = List.of();
    // Past C1's thresholds (200 calls, or 100 with loops) for every method of a reading.
    private static final int WARM_UP_READINGS = 128;
    // Application threads (ZeroMQ's, JShell's, a cell's) are waited for only this long when forks
    // come in a row: a cell's busy worker threads would otherwise slow every fork of a loop.
    private static final long OTHERS_MAX_NANOS = 10_000_000L;
    // ...and this long for the first fork after a pause, the one that meets a freshly started or
    // freshly collected JVM: at 10 ms, 1 of 35 fresh kernels' first children still hung on
    // SystemDictionary_lock; 0 of 25 at 200 ms.
    private static final long OTHERS_MAX_FIRST_NANOS = 200_000_000L;
    private static final long PAUSE_NANOS = 1_000_000_000L;
    // The spacing the two idle readings had when a reading took ~0.25 ms (interpreted, whole stat
    // lines), with which the 2,000-fork stress ran clean; a compiled reading of 40 bytes takes ~0.09 ms.
    private static final long READING_GAP_NANOS = 250_000L;
    private static final long BUSY_PAUSE_NANOS = 100_000L;
    private long lastAwaitEnd;
    private final VmMutexes mutexes;
    private int lastHeld = -1;

    /** mutexes: also wait until none of HotSpot's is held (null: threads only). */
    VmThreadsIdle(VmMutexes mutexes) {
        this.mutexes = mutexes;
    }

    /**
     * Before the fork's pause of compilation requests: opens the threads' stat files if needed and,
     * once per process, runs the readings enough times for the JIT to compile them. Called only
     * inside that pause, they would never be compiled (every compile request they made would fall
     * in it) and interpreted they cost ~0.4 ms of every fork.
     */
    synchronized void prepare() {
        refreshIfThreadsChanged();
        if (warmedUp) return; // compiled code is inherited: a forked child needs no warm-up of its own
        warmedUp = true;
        for (int i = 0; i < WARM_UP_READINGS; i++) {
            allIdle(vmStatFds);
            allIdle(otherStatFds);
            noMutexHeld();
            threadCount();
        }
        release(); // the stat files are opened again by the fork thread, when it forks
    }

    /** The threads the last await() or prepare() looked at (their tids), for tests. */
    synchronized List<Integer> watchedTids() {
        return watchedTids;
    }

    /** Returns true when they were all idle at once, false when maxNanos passed first. */
    synchronized boolean await(long maxNanos) {
        refreshIfThreadsChanged();
        long start = System.nanoTime();
        long othersMax = start - lastAwaitEnd > PAUSE_NANOS ? OTHERS_MAX_FIRST_NANOS : OTHERS_MAX_NANOS;
        try {
            return awaitIdle(start, othersMax, maxNanos);
        } finally {
            lastAwaitEnd = System.nanoTime();
        }
    }

    private boolean awaitIdle(long start, long othersMax, long maxNanos) {
        int idleReadings = 0;
        while (true) {
            long readingStart = System.nanoTime();
            boolean idle = allIdle(vmStatFds) && noMutexHeld()
                    && (System.nanoTime() - start >= othersMax || allIdle(otherStatFds));
            // two readings in a row, READING_GAP_NANOS apart: a compiler thread between two tasks
            // looks idle for an instant.
            idleReadings = idle ? idleReadings + 1 : 0;
            if (idleReadings >= 2) return true;
            if (System.nanoTime() - start >= maxNanos) return false;
            long pause = idle ? READING_GAP_NANOS - (System.nanoTime() - readingStart) : BUSY_PAUSE_NANOS;
            if (pause > 0) LockSupport.parkNanos(pause);
        }
    }

    private boolean noMutexHeld() {
        if (mutexes == null) return true;
        lastHeld = mutexes.firstHeld();
        return lastHeld < 0;
    }

    /** The HotSpot mutex found held at the last reading, for a wait that timed out; null if none. */
    String lastHeldMutex() {
        return mutexes == null || lastHeld < 0 ? null : mutexes.name(lastHeld);
    }

    /** Closes the threads' stat files (forking paused); the next fork opens them again. */
    synchronized void release() {
        closeAll(vmStatFds);
        closeAll(otherStatFds);
        vmStatFds = new int[0];
        otherStatFds = new int[0];
        if (selfStatFd >= 0) Native.posix().close(selfStatFd);
        selfStatFd = -1;
        knownTaskCount = -1;
    }

    private static void closeAll(int[] fds) {
        for (int fd : fds) Native.posix().close(fd);
    }

    /**
     * The cheap check each fork: only the thread count (from this process's stat); comm is read
     * again when it changes. In a forked child the descriptors are the parent's threads: reopened.
     */
    private void refreshIfThreadsChanged() {
        int pid = Native.libc().getpid();
        if (pid != openedBy) {
            release();
            openedBy = pid;
        }
        if (selfStatFd < 0) selfStatFd = Native.posix().open("/proc/self/stat", O_RDONLY_CLOEXEC, 0);
        int count = threadCount();
        if (count > 0 && count == knownTaskCount && scannedBy == Thread.currentThread()) return;
        String[] tids = new File("/proc/self/task").list();
        if (tids == null) return;
        closeAll(vmStatFds);
        closeAll(otherStatFds);
        List<Integer> vm = new ArrayList<>();
        List<Integer> others = new ArrayList<>();
        String self = selfTid();
        scannedBy = Thread.currentThread();
        List<Integer> watched = new ArrayList<>();
        for (String tid : tids) {
            if (tid.equals(self)) continue;
            String comm = readFirstLine("/proc/self/task/" + tid + "/comm");
            if (comm == null) continue;
            boolean isVm = false;
            for (String prefix : VM_THREAD_PREFIXES) isVm |= comm.startsWith(prefix);
            int fd = Native.posix().open("/proc/self/task/" + tid + "/stat", O_RDONLY_CLOEXEC, 0);
            if (fd >= 0) {
                (isVm ? vm : others).add(fd);
                watched.add(Integer.parseInt(tid));
            }
        }
        vmStatFds = vm.stream().mapToInt(Integer::intValue).toArray();
        otherStatFds = others.stream().mapToInt(Integer::intValue).toArray();
        watchedTids = watched;
        knownTaskCount = count > 0 ? count : tids.length;
    }

    /** num_threads, the 20th field of /proc/self/stat (the 18th after the ')' closing comm); -1 if unreadable. */
    private int threadCount() {
        int n = selfStatFd < 0 ? 0 : Math.max(Native.posix().pread(selfStatFd, buf, buf.length, 0), 0);
        int i = n - 1;
        while (i > 0 && buf[i] != ')') i--;
        if (i <= 0) return -1;
        for (int field = 2; field < 20 && i < n; i++) if (buf[i] == ' ') field++;
        int v = 0;
        for (; i < n && buf[i] >= '0' && buf[i] <= '9'; i++) v = v * 10 + (buf[i] - '0');
        return v > 0 ? v : -1;
    }

    /** The calling thread's id, from /proc/thread-self -> "PID/task/TID". */
    private static String selfTid() {
        try {
            String link = java.nio.file.Files.readSymbolicLink(java.nio.file.Path.of("/proc/thread-self")).toString();
            return link.substring(link.lastIndexOf('/') + 1);
        } catch (IOException | UnsupportedOperationException e) {
            return "";
        }
    }

    private boolean allIdle(int[] fds) {
        for (int fd : fds) {
            char state = stateOf(fd);
            if (state == 'R') return false;
        }
        return true;
    }

    /**
     * State letter from a stat line; '?' when the thread is gone. Parses after the last ')' of
     * "pid (comm) S": comm has at most 15 bytes and pid at most 7 digits, so the first
     * {@value #STATE_PREFIX} bytes hold it.
     */
    private char stateOf(int fd) {
        int n = Native.posix().pread(fd, buf, STATE_PREFIX, 0);
        if (n <= 0) {
            knownTaskCount = -1; // a thread ended: re-scan next time
            return '?';
        }
        for (int i = n - 1; i > 0; i--) {
            if (buf[i] == ')' && i + 2 < n) return (char) buf[i + 2];
        }
        return '?';
    }

    private int readInto(String path) {
        try (FileInputStream in = new FileInputStream(path)) {
            int n = in.read(buf);
            return Math.max(n, 0);
        } catch (IOException e) {
            return 0;
        }
    }

    private String readFirstLine(String path) {
        int n = readInto(path);
        if (n == 0) return null;
        String s = new String(buf, 0, n, StandardCharsets.UTF_8);
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }
}
