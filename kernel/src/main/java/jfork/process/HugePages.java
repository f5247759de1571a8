package jfork.process;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Keeps the kernel's private memory in transparent huge pages, because fork copies one page-table
 * entry per resident page: about 40 us per MB of 4 KiB pages, next to nothing per 2 MiB page.
 *
 * <p>Forking undoes huge pages: while a child lives, every write of the parent to a shared huge
 * page splits it into 4 KiB pages (copy-on-write works on the small page), and the split stays
 * after the child is gone. Measured in this kernel (JDK 17, Linux 6.18): 206 MB of huge pages fell
 * to 90 MB after 200 forks. {@code madvise(MADV_COLLAPSE)} (Linux 6.1+) merges them back
 * synchronously, whatever the system's THP setting. Only the Java heap (see
 * {@link #hugeRangesTheJvmAskedFor} for why not the rest).
 *
 * <p>A collapse copies memory (about 0.3 ms per 2 MiB split), so {@link Keeper} runs it on a
 * daemon thread once forking has paused, in steps of {@link #STEP_BYTES} inside the
 * {@link ForkGate}: a fork waits for one step at most. On kernels without MADV_COLLAPSE every
 * call fails with EINVAL and nothing changes.
 */
public final class HugePages {
    static final int MADV_COLLAPSE = 25;
    private static final long HUGE = 2L << 20;
    static final long STEP_BYTES = 8L << 20;
    private static final java.util.regex.Pattern RANGE = java.util.regex.Pattern.compile("[0-9a-f]+-[0-9a-f]+");

    /** What one pass did, for the log and the benchmark; {@code yielded}: stopped early for running children. */
    public record Pass(int ranges, long collapsedBytes, long millis, boolean yielded) {}

    /**
     * Collapses the mappings the JVM asked to be huge (the Java heap; see
     * {@link #hugeRangesTheJvmAskedFor}), 2 MiB-aligned parts only. Unpopulated 2 MiB ranges stay empty.
     */
    public static Pass collapse() {
        return collapse(() -> false);
    }

    /** The same, stopping between steps as soon as {@code yieldNow} says so. */
    static Pass collapse(java.util.function.BooleanSupplier yieldNow) {
        long t0 = System.nanoTime();
        int ranges = 0;
        long collapsed = 0;
        List<long[]> all;
        ForkGate.enter(); // Java work of a background thread happens inside the gate (see ForkGate)
        try {
            all = hugeRangesTheJvmAskedFor();
        } finally {
            ForkGate.leave();
        }
        for (long[] r : all) {
            ranges++;
            for (long at = r[0]; at < r[1]; at += STEP_BYTES) {
                if (yieldNow.getAsBoolean()) return new Pass(ranges, collapsed, (System.nanoTime() - t0) / 1_000_000, true);
                long len = Math.min(STEP_BYTES, r[1] - at);
                int rc;
                ForkGate.enter();
                try {
                    rc = Native.libc().madvise(at, len, MADV_COLLAPSE);
                } finally {
                    ForkGate.leave();
                }
                // EINVAL also means "part of the step was never touched"; the rest is collapsed.
                if (rc == 0) collapsed += len;
            }
        }
        return new Pass(ranges, collapsed, (System.nanoTime() - t0) / 1_000_000, false);
    }

    /**
     * [start, end) of each mapping the JVM itself asked to be huge (VmFlags "hg": the Java heap
     * with -XX:+UseTransparentHugePages), private, anonymous and not executable, shrunk to whole
     * 2 MiB pages. Not metaspace, code cache or malloc arenas: JVM threads write there while holding
     * VM locks, and a thread stalled in a page fault by a collapse looks idle to {@link VmThreadsIdle}
     * while it still holds the lock, which a child forked then would wait on for ever.
     */
    static List<long[]> hugeRangesTheJvmAskedFor() {
        List<long[]> out = new ArrayList<>();
        List<String> lines;
        try {
            lines = Files.readAllLines(Path.of("/proc/self/smaps"));
        } catch (IOException e) {
            return out;
        }
        long[] candidate = null;
        for (String line : lines) {
            String[] f = line.trim().split("\\s+");
            if (f.length >= 5 && RANGE.matcher(f[0]).matches()) {
                // "7f66...-7f66... rw-p 00000000 00:00 0   [path]": anonymous = inode 0 and no path
                candidate = null;
                if (!f[1].equals("rw-p") || !f[4].equals("0") || (f.length > 5 && !f[5].isEmpty())) continue;
                int dash = f[0].indexOf('-');
                long start = Long.parseUnsignedLong(f[0].substring(0, dash), 16);
                long end = Long.parseUnsignedLong(f[0].substring(dash + 1), 16);
                long s = (start + HUGE - 1) & -HUGE, e = end & -HUGE;
                if (e - s >= HUGE) candidate = new long[] {s, e};
            } else if (candidate != null && line.startsWith("VmFlags:") && (" " + line.substring(8) + " ").contains(" hg ")) {
                out.add(candidate);
                candidate = null;
            }
        }
        return out;
    }

    /**
     * One daemon thread that collapses once forking has paused for {@link #QUIET_MILLIS}: after
     * the kernel's warm-up, and after each burst of forks (a cell that forked, a pool's map).
     */
    public static final class Keeper {
        static final long QUIET_MILLIS = 300;
        private final Object lock = new Object();
        private final java.util.function.BooleanSupplier childrenRunning;
        private final Runnable alsoWhenQuiet;
        /** Eden made resident once, before the first collapse pass; null when eden is not known. */
        private final EdenPrefault prefault;
        private long lastActivity;
        private boolean pending;
        private volatile Pass lastPass;

        /**
         * childrenRunning: whether a child is on a CPU now. A collapse copies memory and burns a CPU
         * the children of a pool need (2-CPU machine, Pool(2) of 4 x primes: 35 ms gaps between a
         * worker's chunks and one chunk 30% slower while the kernel collapsed), so it waits for them.
         * alsoWhenQuiet: other housekeeping of a pause in forking (whether or not children run).
         * prefault: eden made resident, in the first quiet moments (see {@link EdenPrefault}).
         */
        Keeper(java.util.function.BooleanSupplier childrenRunning, Runnable alsoWhenQuiet, EdenPrefault prefault) {
            this.childrenRunning = childrenRunning;
            this.alsoWhenQuiet = alsoWhenQuiet;
            this.prefault = prefault;
            Thread t = new Thread(this::loop, "jfork-huge-pages");
            t.setDaemon(true);
            t.setPriority(Thread.MIN_PRIORITY);
            t.start();
        }

        /**
         * A fork happened, work was handed to children (a pool call), or the kernel finished warming
         * up: collapse once things are quiet. A collapse holds the kernel's memory map for writing
         * while it copies (~0.3 ms per 2 MiB); a pool map that met it waited 5-9 ms.
         */
        void touched() {
            synchronized (lock) {
                lastActivity = System.nanoTime();
                if (pending) return; // the keeper re-reads lastActivity when its wait for quiet ends
                pending = true;
                lock.notifyAll();
            }
        }

        private long lastActivity() {
            synchronized (lock) {
                return lastActivity;
            }
        }

        /** The latest pass, or null before the first. */
        public Pass lastPass() { return lastPass; }

        private void loop() {
            while (true) {
                try {
                    long quietSince;
                    synchronized (lock) {
                        while (!pending) lock.wait();
                        long quietFor;
                        while ((quietFor = (System.nanoTime() - lastActivity) / 1_000_000) < QUIET_MILLIS) {
                            lock.wait(QUIET_MILLIS - quietFor);
                        }
                        pending = false;
                        quietSince = lastActivity;
                    }
                    ForkGate.enter();
                    try {
                        alsoWhenQuiet.run();
                    } finally {
                        ForkGate.leave();
                    }
                    // stops between steps as soon as children run or work is handed to them again
                    java.util.function.BooleanSupplier busyAgain = () -> childrenRunning.getAsBoolean() || lastActivity() != quietSince;
                    if (prefault != null && !prefault.done() && !prefault.run(busyAgain)) {
                        touched(); // stopped for children: go on once they are done
                        continue;
                    }
                    Pass pass = busyAgain.getAsBoolean() ? null : collapse(busyAgain);
                    if (pass != null) lastPass = pass;
                    if (pass == null || pass.yielded()) touched(); // try again once they are done
                } catch (InterruptedException e) {
                    return;
                } catch (Throwable t) {
                    jfork.Log.warn("huge-page collapse failed: " + t);
                }
            }
        }
    }

    private HugePages() {
    }
}
