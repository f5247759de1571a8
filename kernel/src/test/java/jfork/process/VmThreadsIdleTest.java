package jfork.process;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.Test;

class VmThreadsIdleTest {

    /**
     * The thread that waits is busy reading the others' states, so it must never be one of them:
     * a wait that counted itself saw a running thread at every reading and forked only after its
     * 10 ms limit for application threads (the first fork loop after start-up took 15 ms a fork).
     */
    @Test
    void theWaitingThreadIsNeverAmongTheThreadsItWaitsFor() throws Exception {
        VmThreadsIdle idle = new VmThreadsIdle(null);
        CountDownLatch done = new CountDownLatch(1);
        CountDownLatch waited = new CountDownLatch(1);
        int[] otherTid = new int[1];
        Thread other = new Thread(() -> {
            otherTid[0] = tid();
            idle.await(50_000_000L);
            waited.countDown();
            try {
                done.await(); // alive, so that the JVM's thread count is the same for the next wait
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "waits-first");
        other.setDaemon(true);
        other.start();
        waited.await();
        try {
            assertFalse(idle.watchedTids().contains(otherTid[0]), "the first waiter watched itself");
            assertTrue(idle.watchedTids().contains(tid()), "the first waiter did not watch this thread");
            idle.await(50_000_000L);
            assertFalse(idle.watchedTids().contains(tid()), "this thread waited for itself: " + idle.watchedTids());
            assertTrue(idle.watchedTids().contains(otherTid[0]), "this thread did not watch the other one");
        } finally {
            done.countDown();
            other.join();
            idle.release();
        }
    }

    private static int tid() {
        try {
            String link = Files.readSymbolicLink(Path.of("/proc/thread-self")).toString();
            return Integer.parseInt(link.substring(link.lastIndexOf('/') + 1));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
