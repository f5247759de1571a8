package jfork.process;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.Path;
import jnr.ffi.Pointer;

/**
 * HotSpot's inline-cache stub buffer (JDK 17; JDK 22 and later have none). Compiled code that
 * changes one of its call sites takes a stub from this 10 KiB buffer, and the buffer is emptied
 * only at the next safepoint. A child inherits the buffer as it was at the fork; when it needs a
 * stub and none is left, it asks the VM thread for a safepoint to refill it, and waits for ever
 * (gdb: InlineCacheBuffer::refill_ic_stubs, VMThread::wait_until_executed; notebook 5, 3 of 15
 * fresh kernels). The buffer holds ~160 stubs and right after start-up 69 were already used. So
 * before a fork the kernel empties it when it is more than a fifth full, with the cheapest
 * safepoint Java can ask for (a one-frame thread dump of the forking thread: 55-90 us).
 *
 * <p>Found like {@link VmMutexes}: {@code InlineCacheBuffer::_buffer} through libjvm's symbol
 * table, a {@code StubQueue} whose layout (JDK 17) is checked where it is found: its mutex field
 * (+40) must be HotSpot's InlineCacheBuffer_lock. The stub count is at +32.
 */
final class IcStubs {
    private static final String BUFFER = "_ZN17InlineCacheBuffer7_bufferE";
    private static final int NUMBER_OF_STUBS = 32, MUTEX = 40;
    /**
     * Emptied before a fork only above this many stubs in use (of ~160): a child then has room for
     * at least ~120 call-site changes of its own, and most forks need no extra safepoint (each
     * one, with the wait for the VM thread after it, added ~1.5 ms to a 4.6 ms fork).
     */
    static final int USED_BEFORE_EMPTYING = 32;

    private final Pointer queue;
    private final ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    private final long[] self = new long[1];

    private IcStubs(Pointer queue) {
        this.queue = queue;
    }

    /** Null on JVMs without the buffer or where it does not look as expected. */
    static IcStubs locate(VmMutexes mutexes) {
        if (mutexes == null) return null;
        try {
            long[] base = new long[1];
            Path libjvm = ChildCompilerOff.loadedLibjvm(base);
            if (libjvm == null) return null;
            long symbol = ChildCompilerOff.symbolValue(libjvm, BUFFER);
            int lock = mutexes.indexOf("InlineCacheBuffer_lock");
            if (symbol <= 0 || lock < 0) return null;
            var mm = jnr.ffi.Runtime.getSystemRuntime().getMemoryManager();
            long address = mm.newPointer(base[0] + symbol).getLong(0);
            if (address == 0) return null;
            Pointer queue = mm.newPointer(address);
            return queue.getLong(MUTEX) == mutexes.mutexAddress(lock) ? new IcStubs(queue) : null;
        } catch (IOException | RuntimeException | LinkageError e) {
            return null;
        }
    }

    /** Stubs in use now (freed at the next safepoint). */
    int used() {
        return queue.getInt(NUMBER_OF_STUBS);
    }

    /** Makes the VM thread run a safepoint, which empties the buffer. Call on the forking thread. */
    void emptyWithASafepoint() {
        self[0] = Thread.currentThread().getId();
        threads.getThreadInfo(self, 1);
    }
}
