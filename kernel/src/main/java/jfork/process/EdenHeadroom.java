package jfork.process;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryUsage;

/**
 * A forked child cannot collect garbage: it hangs at the first allocation that does not fit in
 * the eden it inherited. Before a fork, this collects when less than the headroom is left, so
 * that every child can allocate at least that much. Right after start-up JShell's own garbage
 * leaves only ~20 MB of a 204 MB eden; a full collection then takes ~0.1 s, at most once per
 * eden's worth of allocation between forks.
 */
final class EdenHeadroom {
    /** What a child can always allocate before it would need a GC (a quarter of eden if smaller). */
    static final long BYTES = 96L << 20;
    /**
     * Checked again at the instant of fork, after the wait for idle VM threads: threads of the
     * cell allocating meanwhile (the 2,000-fork stress: ~3.7 GB/s) can fill eden in tens of ms.
     */
    static final long AT_FORK = 16L << 20;

    private final MemoryPoolMXBean eden;

    private EdenHeadroom(MemoryPoolMXBean eden) {
        this.eden = eden;
    }

    /** Null when the JVM has no eden pool (then nothing is ensured). */
    static EdenHeadroom detect() {
        try {
            for (MemoryPoolMXBean p : ManagementFactory.getMemoryPoolMXBeans()) {
                if (p.getName().contains("Eden")) return new EdenHeadroom(p);
            }
        } catch (RuntimeException | LinkageError e) {
            // no management support: fork without the guarantee
        }
        return null;
    }

    /** Collects if a child forked now would have less than the headroom. */
    void ensure() {
        long capacity = capacity(eden.getUsage());
        if (free() < Math.min(BYTES, capacity / 4)) System.gc();
    }

    /** Free bytes in eden now: what a child forked now can allocate before it would need a GC. */
    long free() {
        MemoryUsage u = eden.getUsage();
        return Math.max(0, capacity(u) - u.getUsed());
    }

    private static long capacity(MemoryUsage u) {
        return u.getMax() > 0 ? u.getMax() : u.getCommitted();
    }
}
