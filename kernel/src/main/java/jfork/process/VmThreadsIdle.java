package jfork.process;

import java.io.File;
import java.io.FileInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.LockSupport;

/**
 * Waits (bounded) until HotSpot's own threads — VM thread, GC, JIT compilers, periodic task — are
 * not running. Forking while one of them runs can leave the child holding a VM lock or mid
 * safepoint with nobody to release it; waiting removed the JIT-related hangs in measurements.
 * Not thread-safe: used by the single fork thread.
 */
final class VmThreadsIdle {
    private static final String[] VM_THREAD_PREFIXES = {
            "VM Thread", "GC Thread", "G1 ", "C1 CompilerThre", "C2 CompilerThre",
            "VM Periodic Tas", "Sweeper thread", "GC Conc", "Shenandoah", "ZDirector"};

    private final byte[] buf = new byte[512];
    private int knownTaskCount = -1;
    private String[] vmStatPaths = new String[0];

    /** Returns true when they were all idle at once, false when maxNanos passed first. */
    boolean await(long maxNanos) {
        refreshIfThreadsChanged();
        long start = System.nanoTime();
        while (true) {
            if (allIdle()) return true;
            if (System.nanoTime() - start >= maxNanos) return false;
            LockSupport.parkNanos(100_000);
        }
    }

    /** The cheap check each fork: only the thread count; comm is read again when it changes. */
    private void refreshIfThreadsChanged() {
        String[] tids = new File("/proc/self/task").list();
        if (tids == null || tids.length == knownTaskCount) return;
        knownTaskCount = tids.length;
        List<String> paths = new ArrayList<>();
        for (String tid : tids) {
            String comm = readFirstLine("/proc/self/task/" + tid + "/comm");
            if (comm == null) continue;
            for (String prefix : VM_THREAD_PREFIXES) {
                if (comm.startsWith(prefix)) {
                    paths.add("/proc/self/task/" + tid + "/stat");
                    break;
                }
            }
        }
        vmStatPaths = paths.toArray(new String[0]);
    }

    private boolean allIdle() {
        for (String path : vmStatPaths) {
            char state = stateOf(path);
            if (state == 'R') return false;
        }
        return true;
    }

    /** State letter from a stat line; '?' when the thread is gone. Parses after the last ')'. */
    private char stateOf(String path) {
        int n = readInto(path);
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
            knownTaskCount = -1; // a thread ended: re-scan next time
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
