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

    static void close() {
        LOCK.writeLock().lock();
    }

    /** Called by the forking thread after fork() in the parent and in the child alike. */
    static void open() {
        LOCK.writeLock().unlock();
    }

    private ForkGate() {
    }
}
