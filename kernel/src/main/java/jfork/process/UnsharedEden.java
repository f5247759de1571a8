package jfork.process;

/**
 * Keeps the free part of eden out of a long-lived child (a pool worker): {@code madvise(MADV_WIPEONFORK)}
 * on it for the instant of the fork, so the child gets zero-filled pages there instead of the
 * kernel's. Not for every fork: a child that exits at once shares little, and the extra mapping work
 * made the fork round trip ~0.4 ms slower (4.0-4.3 against 4.5-5.1 ms, interleaved runs).
 *
 * <p>Why: after a fork, every page the two processes share is copy-on-write, and the kernel
 * allocates every new object on a free eden page. While a pool's workers lived, a warm
 * {@code map(x -> x * 2, 10,000 ints)} took ~170 page faults in the kernel (and ~50 in each worker),
 * each one copying 4 KiB of garbage and splitting a huge page: most of the map's time. A wiped page
 * belongs to the kernel alone, and a worker allocating there gets a fresh page without a copy.
 *
 * <p>Safety: every object is below eden's top (TLABs included), and the wipe starts at least
 * {@link #MARGIN} above it (on a page boundary: the huge page there is split, and merged again by
 * {@link HugePages} later); the top is read again after the madvise, and a fork for which it came
 * closer than half the margin is done unwiped.
 * The flag is removed right after the fork on both sides, so that a later fork (the child's own, or
 * the kernel's next one) never wipes memory allocated since.
 */
final class UnsharedEden {
    static final int MADV_NOHUGEPAGE = 15, MADV_WIPEONFORK = 18, MADV_KEEPONFORK = 19;
    /** Room above the top for what other threads may allocate between the reading and the fork. */
    static final long MARGIN = 256L << 10;
    private static final long PAGE = 4096, HUGE = 2L << 20;

    private final EdenSpace eden;
    private long start, length;
    private volatile int forks;

    private UnsharedEden(EdenSpace eden) {
        this.eden = eden;
    }

    /** Null when eden cannot be read in place (another collector, an unknown JVM: see {@link EdenSpace#locate}). */
    static UnsharedEden create(EdenSpace eden) {
        if (eden == null) return null;
        UnsharedEden u = new UnsharedEden(eden);
        // the calls of the child's path, once here: harmless (KEEPONFORK on the last 2 MiB of eden)
        u.start = (eden.end() & -HUGE) - HUGE;
        u.length = u.start > eden.top() ? HUGE : 0;
        u.afterFork(false);
        Native.libc().madvise(u.start, 0, MADV_NOHUGEPAGE); // length 0: nothing changes
        return u;
    }

    /** Forks done with the free part of eden kept out of the child. */
    int forks() { return forks; }

    /** Right before fork(): marks the free part of eden; false when nothing was marked. */
    boolean beforeFork() {
        length = 0;
        long top = eden.top();
        long s = (top + MARGIN + PAGE - 1) & -PAGE;
        long e = eden.end() & -HUGE;
        if (e - s < HUGE) return false;
        if (Native.libc().madvise(s, e - s, MADV_WIPEONFORK) != 0) return false;
        start = s;
        length = e - s;
        if (eden.top() + MARGIN / 2 > s) {
            afterFork(false);
            return false;
        }
        forks++;
        return true;
    }

    /**
     * Right after fork(), in the parent and in the child: the range is ordinary memory again. In the
     * child it is also kept out of huge pages: a forked JVM never collects, so every call a pool
     * worker runs takes fresh memory there, and a fresh 2 MiB page needs a free 2 MiB block, which a
     * VM that returns free memory to its host (free page reporting, as on the machines this was
     * measured on) must fault in from the host: 1-2 ms each, a 5-8 ms map now and then. 4 KiB pages
     * come from recently freed memory (three runs of 15 warm maps after 15 pool creations: ten or more
     * above 5 ms with 2 MiB pages, none with 4 KiB pages).
     */
    void afterFork(boolean inChild) {
        if (length == 0) return;
        Native.libc().madvise(start, length, MADV_KEEPONFORK);
        if (inChild) Native.libc().madvise(start, length, MADV_NOHUGEPAGE);
        length = 0;
    }
}
