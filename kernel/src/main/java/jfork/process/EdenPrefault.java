package jfork.process;

import java.util.function.BooleanSupplier;

/**
 * Makes the free part of eden resident once, in the background: {@code madvise(MADV_POPULATE_WRITE)}
 * (Linux 5.14+; elsewhere nothing happens), 2 MiB per step inside the {@link ForkGate}, in the
 * huge-page keeper's quiet moments. Memory the kernel writes for the first time costs a fault and
 * zeroing per page, and far more on a VM whose host takes free memory back (free page reporting, as
 * on the machines this was measured on: ~1.5 ms per 2 MiB): a young kernel's 10,000-item pool maps
 * took 5-9 ms instead of 1 ms, zeroing fresh eden pages. {@code -XX:+AlwaysPreTouch} would do it for
 * the whole heap, but at start-up, which it slowed (kernel_info_reply 0.57 s against 0.29 s earlier
 * the same day; ipykernel 0.52 against 0.40 s in the same runs).
 *
 * <p>Populating writes no data: pages already there stay as they are, so a thread allocating in the
 * same range meanwhile is unaffected. Serial eden keeps its pages after a collection, so once is enough.
 */
final class EdenPrefault {
    static final int MADV_POPULATE_WRITE = 23;
    private static final long STEP = 2L << 20;

    private final EdenSpace eden;
    /** Where the next step starts (0 before the first). */
    private long next;
    private volatile boolean done;

    EdenPrefault(EdenSpace eden) {
        this.eden = eden;
    }

    boolean done() { return done; }

    /** Steps until eden is resident (true) or until stop says so (false). */
    boolean run(BooleanSupplier stop) {
        while (!done) {
            if (stop.getAsBoolean()) return false;
            ForkGate.enter();
            try {
                long from = Math.max(next, (eden.top() + STEP - 1) & -STEP); // below the top: written already
                long end = eden.end() & -STEP;
                if (from >= end || Native.libc().madvise(from, Math.min(STEP, end - from), MADV_POPULATE_WRITE) != 0) {
                    done = true; // the end, or a kernel without MADV_POPULATE_WRITE
                } else {
                    next = from + STEP;
                }
            } finally {
                ForkGate.leave();
            }
        }
        return true;
    }
}
