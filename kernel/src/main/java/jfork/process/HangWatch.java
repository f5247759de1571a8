package jfork.process;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collection;
import java.util.HashMap;
import java.util.Map;
import java.util.function.Supplier;

/**
 * Detects forked children that are hung the way forked JVMs hang: every thread blocked in a
 * futex wait WITHOUT timeout (a lock or VM handshake whose owner thread did not survive fork)
 * continuously for {@link #HANG_MILLIS} and no CPU used meanwhile. Thread.sleep (a timed futex),
 * blocking reads/poll/accept and busy computation are not hangs.
 * Reads /proc/&lt;pid&gt;/task/*&#47;syscall: "nr arg1 arg2 arg3 arg4 ..."; futex's 4th argument is
 * the timeout pointer, 0x0 for an untimed wait.
 *
 * <p>Measured on x86_64, JDK 17, forked test-JVM children (one thread each):
 * <pre>
 * Thread.sleep(5000)         202 0x7fa3b0019a78 0x89  0x0 0x7fa3b51fb720 ...   (timed: not a hang)
 * ReentrantLock held by a
 *   parent thread at fork    202 0x7fa3b0018038 0x189 0x0 0x0 ...              (untimed: hang)
 * Object.wait() untimed      202 0x7fa3b0019878 0x189 0x0 0x0 ...              (untimed: hang; nobody
 *                                                                               left to notify)
 * blocking pipe read         0 0x28 0x7fa3b51fb3e0 0x1 ...                     (read: not a hang)
 * </pre>
 * The kernel JVM itself has many idle threads in untimed futex waits: watch only forked children.
 */
public final class HangWatch implements AutoCloseable {
    public static final long HANG_MILLIS = 1000;
    public static final long SAMPLE_MILLIS = 200;
    /** futex syscall number: x86_64 202, aarch64 98 (asm-generic). */
    static final int FUTEX_NR = "aarch64".equals(System.getProperty("os.arch")) ? 98 : 202;

    public interface Listener { void onHang(int pid, String where); }

    private static final class Track { long since; long cpu; boolean reported; }

    private final Supplier<? extends Collection<Integer>> pids;
    private final Listener listener;
    private final Map<Integer, Track> tracks = new HashMap<>();
    private final Thread thread;
    private volatile boolean closing;

    /** Samples the given pids every {@link #SAMPLE_MILLIS} ms on a daemon thread until closed. */
    public HangWatch(Supplier<? extends Collection<Integer>> pids, Listener listener) {
        this.pids = pids;
        this.listener = listener;
        thread = new Thread(this::loop, "jfork-hang-watch");
        thread.setDaemon(true);
        thread.start();
    }

    /** Watches the live children of the forker. */
    public static HangWatch forChildren(Forker forker, Listener listener) {
        return new HangWatch(() -> forker.children().live().stream().map(ChildInfo::pid).toList(), listener);
    }

    private void loop() {
        while (!closing) {
            ForkGate.enter();
            try {
                sampleOnce(System.nanoTime() / 1_000_000L);
            } catch (Throwable t) {
                System.err.println("jfork: hang watch sample failed: " + t);
            } finally {
                ForkGate.leave();
            }
            try {
                Thread.sleep(SAMPLE_MILLIS);
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    /** One round: update each pid's "blocked since" and report those blocked long enough. */
    void sampleOnce(long nowMillis) {
        Collection<Integer> current = pids.get();
        tracks.keySet().retainAll(current);
        for (int pid : current) {
            String where = untimedFutexWaitAll(pid);
            ProcState st = ProcState.read(pid);
            if (where == null || st == null || st.state() == 'Z') {
                tracks.remove(pid);
                continue;
            }
            Track t = tracks.get(pid);
            if (t == null || t.cpu != st.cpuTicks()) {
                t = new Track();
                t.since = nowMillis;
                t.cpu = st.cpuTicks();
                tracks.put(pid, t);
                continue;
            }
            if (!t.reported && nowMillis - t.since >= HANG_MILLIS) {
                t.reported = true;
                listener.onHang(pid, where + " for " + (nowMillis - t.since) + " ms, no CPU used");
            }
        }
    }

    /**
     * Returns a description when every thread of pid is in an untimed futex wait, else null
     * (running, timed wait, another syscall, or the process is gone).
     */
    public static String untimedFutexWaitAll(int pid) {
        String[] tids = new File("/proc/" + pid + "/task").list();
        if (tids == null || tids.length == 0) return null;
        for (String tid : tids) {
            String line = readSyscall(pid, tid);
            if (line == null || !isUntimedFutexWait(line)) return null;
        }
        return "all " + tids.length + " thread(s) blocked in futex wait without timeout";
    }

    /** "202 0x7f.. 0x80 0x0 0x0 ..." → true: futex, 4th argument (timeout pointer) NULL. */
    static boolean isUntimedFutexWait(String syscallLine) {
        String[] f = syscallLine.trim().split(" ");
        if (f.length < 5) return false; // "running", or "-1 sp pc" outside a syscall
        try {
            if (Integer.parseInt(f[0]) != FUTEX_NR) return false;
        } catch (NumberFormatException e) {
            return false;
        }
        return "0x0".equals(f[4]) || "0".equals(f[4]);
    }

    /** The futex word pid's (single) thread waits on, 0 when it is not in a futex wait. */
    static long futexAddress(int pid) {
        String line = readSyscall(pid, Integer.toString(pid));
        if (line == null) return 0;
        String[] f = line.trim().split(" ");
        try {
            if (f.length < 2 || Integer.parseInt(f[0]) != FUTEX_NR) return 0;
            return Long.parseUnsignedLong(f[1].substring(2), 16);
        } catch (RuntimeException e) {
            return 0;
        }
    }

    private static String readSyscall(int pid, String tid) {
        try {
            return new String(Files.readAllBytes(Path.of("/proc/" + pid + "/task/" + tid + "/syscall")),
                    StandardCharsets.US_ASCII);
        } catch (IOException e) {
            return null;
        }
    }

    @Override public void close() {
        closing = true;
        thread.interrupt();
        try {
            thread.join(1000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
