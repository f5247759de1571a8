package jfork.process;

import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * The kernel's own background threads (output pump, reaper, hang watch, output flusher) do their
 * Java work inside this gate; fork() closes it for the instant of the fork. A thread caught in the
 * middle of Java code when the process is copied may hold a VM lock (class resolution, compile
 * queue) that nobody releases in the child; a thread waiting at the gate holds none.
 */
public final class ForkGate {
    private static final ReentrantReadWriteLock LOCK = new ReentrantReadWriteLock();

    /** Background work begins: waits while a fork is in progress. */
    public static void enter() {
        LOCK.readLock().lock();
    }

    public static void leave() {
        LOCK.readLock().unlock();
    }

    /**
     * Bounded: a background thread inside the gate may be waiting for a lock the forking thread
     * holds (the pump delivering a pool result while the cell forks the next worker). Forking
     * without the gate then is the lesser evil; a deadlock is not an option.
     * @return whether the gate was closed (pass it to {@link #open})
     */
    static boolean close() {
        try {
            return LOCK.writeLock().tryLock(50, java.util.concurrent.TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** Called by the forking thread after fork() in the parent and in the child alike. */
    static void open(boolean closed) {
        if (closed) LOCK.writeLock().unlock();
    }

    private ForkGate() {
    }
}
