package jfork.process;

import static org.junit.jupiter.api.Assertions.*;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The free part of eden is not shared with children (the tests run the Serial collector, like the kernel). */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class UnsharedEdenTest {
    private final Forker forker = Forker.get();

    @AfterEach
    void noChildLeft() {
        forker.killAll(Signals.SIGKILL, 0);
        assertTrue(forker.children().live().isEmpty());
    }

    @Test
    void edenIsReadInPlaceAndAgreesWithItsMemoryPool() {
        EdenSpace eden = EdenSpace.locate();
        assertNotNull(eden, "the Serial collector's eden, through libjvm's gHotSpotVMStructs");
        MemoryPoolMXBean pool = ManagementFactory.getMemoryPoolMXBeans().stream()
                .filter(p -> p.getName().equals("Eden Space")).findFirst().orElseThrow();
        long bottom = eden.bottom(), end = eden.end();
        assertEquals(pool.getUsage().getCommitted(), end - bottom, "eden's size");
        long[][] keep = new long[256][];
        long before = eden.top();
        for (int i = 0; i < keep.length; i++) keep[i] = new long[8192]; // 16 MB: past any TLAB
        long after = eden.top();
        assertTrue(after - before >= 15L << 20 || after < before /* a collection in between */,
                "the top moved " + (after - before) + " bytes for 16 MB of arrays");
        assertTrue(bottom <= after && after <= end);
        assertEquals(keep.length, keep.length);
    }

    /**
     * The point of it: with a child alive, the kernel's new objects cost no copy-on-write fault. The
     * eden pages are made resident first (a collection keeps them), so without the wipe every 4 KiB
     * the parent allocates into is a fault (~8,192 for 32 MB). With it, only the rest of this
     * thread's allocation buffer (a TLAB, below the top: up to a few MB) and the margin are shared.
     */
    @Test
    void theParentAllocatesWithoutPageFaultsWhileAChildLives() throws Exception {
        assertTrue(forker.unsharedEdenForks() >= 0, "unshared eden available");
        // Eden made resident and writable (a fork before this one write-protected it): allocate
        // through it until a 16 MB allocation after a collection costs no fault without a child.
        long baseline = Long.MAX_VALUE;
        for (int round = 0; round < 5 && baseline > 256; round++) {
            List<long[]> warm = new ArrayList<>();
            for (int i = 0; i < 12_000; i++) warm.add(new long[1024]); // ~96 MB
            warm.clear();
            System.gc();
            long f0 = minorFaults();
            for (int i = 0; i < 2048; i++) warm.add(new long[1024]);
            baseline = minorFaults() - f0;
            warm.clear();
            System.gc();
        }
        assertTrue(baseline <= 256, "eden not resident: " + baseline + " faults for 16 MB without a child");
        int forksBefore = forker.unsharedEdenForks();
        ForkedProcess child = forker.start("sleeper", new Recorder(), true, () -> {
            try {
                Thread.sleep(60_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        assertEquals(forksBefore + 1, forker.unsharedEdenForks(), "this fork kept the free eden out of the child");
        long faultsBefore = minorFaults();
        List<long[]> fresh = new ArrayList<>();
        for (int i = 0; i < 4096; i++) fresh.add(new long[1024]); // 32 MB
        long faults = minorFaults() - faultsBefore;
        assertTrue(child.isAlive(), "child still running");
        Native.posix().kill(child.pid(), Signals.SIGKILL);
        child.waitFor();
        assertEquals(4096, fresh.size());
        assertTrue(faults < 2048, faults + " page faults for 32 MB allocated while the child lived (copy-on-write: ~8,192)");
    }

    /**
     * A child sees every object allocated before the fork, allocates in the fresh pages, and its own
     * child (a nested fork, which does not wipe) sees what it allocated there: the wipe flag does not
     * outlive the fork. Exit codes: 0 fine, 1 parent's objects wrong, 2 own objects wrong, 3/4 the
     * grandchild saw them wrong or did not run.
     */
    @Test
    void childAndGrandchildSeeTheirObjects() {
        long[][] parents = new long[64][];
        for (int i = 0; i < parents.length; i++) {
            parents[i] = new long[1024];
            for (int j = 0; j < 1024; j++) parents[i][j] = i * 31L + j;
        }
        int forksBefore = forker.unsharedEdenForks();
        ForkedProcess child = forker.start("eden child", new Recorder(), true, () -> {
            for (int i = 0; i < parents.length; i++) {
                for (int j = 0; j < 1024; j++) if (parents[i][j] != i * 31L + j) Forker.exitChild(1);
            }
            long[][] mine = new long[4096][]; // 32 MB, far past the wipe's start
            for (int k = 0; k < mine.length; k++) {
                mine[k] = new long[1024];
                mine[k][k % 1024] = k;
            }
            for (int k = 0; k < mine.length; k++) if (mine[k][k % 1024] != k || mine[k][(k + 1) % 1024] != 0) Forker.exitChild(2);
            int pid = Native.posix().fork();
            if (pid == 0) {
                for (int k = 0; k < mine.length; k++) if (mine[k][k % 1024] != k) Native.libc()._exit(3);
                Native.libc()._exit(0);
            }
            int[] status = new int[1];
            if (pid < 0 || Native.posix().waitpid(pid, status, 0) != pid) Forker.exitChild(4);
            Forker.exitChild((status[0] >> 8) & 0xff);
        });
        assertEquals(forksBefore + 1, forker.unsharedEdenForks());
        assertEquals("exited with code 0", child.waitFor().toString());
    }

    /** This thread's minor page faults (the JIT's and the collector's are not the point here). */
    /** Only forks asked for it (a pool's workers): a child that exits at once would pay for nothing. */
    @Test
    void aPlainForkSharesEdenAsBefore() {
        int forksBefore = forker.unsharedEdenForks();
        ForkedProcess child = forker.start("plain", new Recorder(), () -> Forker.exitChild(0));
        assertEquals("exited with code 0", child.waitFor().toString());
        assertEquals(forksBefore, forker.unsharedEdenForks());
    }

    private static long minorFaults() throws Exception {
        String stat = Files.readString(Path.of("/proc/thread-self/stat"));
        return Long.parseLong(stat.substring(stat.lastIndexOf(')') + 2).split(" ")[7]);
    }
}
