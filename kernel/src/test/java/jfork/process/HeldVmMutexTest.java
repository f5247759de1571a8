package jfork.process;

import static org.junit.jupiter.api.Assertions.*;

import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import jnr.ffi.LibraryLoader;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A thread of the test JVM really holds one of HotSpot's mutexes (pthread_mutex_lock on it, as
 * HotSpot's own Mutex::lock does) while the JVM forks: the parent must wait for it, and a child
 * that still finds it held must say so and be replaced, never hang. NMTQuery_lock is used because
 * nothing takes it unless native memory tracking is queried (jcmd VM.native_memory).
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class HeldVmMutexTest {
    private static final String MUTEX = "NMTQuery_lock";
    private static final String HOLDER = "mutex-holder";

    public interface PThreads {
        int pthread_mutex_lock(long mutex);
        int pthread_mutex_unlock(long mutex);
    }

    private static final PThreads PTHREADS = LibraryLoader.create(PThreads.class).load("c");

    private final Forker forker = Forker.get();
    private final Recorder rec = new Recorder();
    private Map<String, String> fdsBefore;

    @BeforeEach
    void snapshotFds() {
        fdsBefore = ForkerTest.pipeFds();
    }

    @AfterEach
    void restoreAndCheckNothingLeft() {
        forker.setVmIdleMaxNanos(Forker.VM_IDLE_MAX_NANOS);
        List<ChildInfo> live = forker.children().live();
        forker.killAll(Signals.SIGKILL, 0);
        assertTrue(live.isEmpty(), "test left live children: " + live);
        for (ChildInfo c : forker.children().all()) {
            ProcState st = ProcState.read(c.pid());
            assertFalse(st != null && st.state() == 'Z' && st.ppid() == Native.posix().getpid(), "zombie left: " + c);
        }
        ForkerTest.waitUntil(2000, () -> forker.pump().openPids().isEmpty());
        Map<String, String> now = ForkerTest.pipeFds();
        now.keySet().removeAll(fdsBefore.keySet());
        assertEquals(Map.of(), now, "leaked pipe fds");
    }

    @Test
    void hotSpotMutexesAreFoundAndReadFree() {
        VmMutexes m = forker.vmMutexes();
        assertNotNull(m, "libjvm's mutex table was not found: children are not protected from held mutexes");
        for (String name : new String[] {"SystemDictionary_lock", "CodeCache_lock", "Heap_lock", "Compile_lock", MUTEX}) {
            int i = m.indexOf(name);
            assertTrue(i >= 0, name + " not among the " + m.count() + " mutexes");
        }
        assertEquals(0, m.ownerTid(m.indexOf(MUTEX)));
        assertTrue(m.watchesSafepoints(), "SafepointSynchronize::_state not found");
    }

    @Test
    void parentWaitsForAHeldMutexAndChildrenThatStillFindItHeldAreReplaced() throws Exception {
        forker.setVmIdleMaxNanos(50_000_000L); // the parent stops waiting while the mutex is still held
        int before = forker.retries();
        try (Held held = new Held(600)) {
            ForkedProcess p = forker.start("held", rec, () -> System.out.print("ran"));
            assertEquals("exited with code 0", p.waitFor().toString());
            assertTrue(p.awaitOutputClosed(2000));
            assertEquals("ran", rec.stdout(p.pid()));
            assertTrue(forker.retries() > before, "no child found the mutex held");
            String expected = "found HotSpot's " + MUTEX + " held by thread '" + HOLDER + "' (tid " + held.tid + ") at the fork";
            assertTrue(forker.recentRetries().stream().anyMatch(r -> r.contains(expected)), forker.recentRetries().toString());
        }
    }

    @Test
    void aMutexHeldForEverMakesTheForkFailWithItsName() throws Exception {
        forker.setVmIdleMaxNanos(10_000_000L);
        int before = forker.retries();
        try (Held held = new Held(60_000)) {
            ForkFailedException e = assertThrows(ForkFailedException.class, () -> forker.fork("never", rec));
            assertTrue(e.getMessage().matches("fork \\[never\\] failed 2[3-9] times: pid .*"), e.getMessage());
            assertTrue(e.getMessage().contains("found HotSpot's " + MUTEX + " held by thread '" + HOLDER + "'"), e.getMessage());
            assertTrue(forker.retries() >= before + 23);
            List<String> retries = forker.recentRetries();
            assertTrue(retries.get(retries.size() - 1).endsWith("; killed it, giving up"), retries.toString());
        }
    }

    private static int threadId() {
        try {
            String link = java.nio.file.Files.readSymbolicLink(java.nio.file.Path.of("/proc/thread-self")).toString();
            return Integer.parseInt(link.substring(link.lastIndexOf('/') + 1));
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** A thread that holds the mutex until released or holdMillis pass. */
    private final class Held implements AutoCloseable {
        final CountDownLatch release = new CountDownLatch(1);
        final CountDownLatch locked = new CountDownLatch(1);
        final Thread thread;
        volatile int tid;

        Held(long holdMillis) throws InterruptedException {
            VmMutexes m = forker.vmMutexes();
            assertNotNull(m);
            long address = m.pthreadMutexAddress(m.indexOf(MUTEX));
            thread = new Thread(() -> {
                assertEquals(0, PTHREADS.pthread_mutex_lock(address));
                tid = threadId();
                locked.countDown();
                try {
                    release.await(holdMillis, TimeUnit.MILLISECONDS);
                } catch (InterruptedException ignored) {
                    // released below all the same
                }
                PTHREADS.pthread_mutex_unlock(address);
            }, HOLDER);
            thread.start();
            assertTrue(locked.await(5, TimeUnit.SECONDS));
            assertEquals(tid, m.ownerTid(m.indexOf(MUTEX)), "glibc recorded another owner");
        }

        @Override public void close() throws InterruptedException {
            release.countDown();
            thread.join(5000);
        }
    }
}
