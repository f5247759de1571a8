package jfork.kernel;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

import static jfork.kernel.KernelProcess.fdList;
import static jfork.kernel.ForkCellTest.logOf;
import static jfork.kernel.KernelProcess.state;
import static org.junit.jupiter.api.Assertions.*;

/**
 * Issue 3's stress: 2,000 sequential forks in ONE cell while two threads of that cell allocate
 * garbage (so GCs and safepoints happen around the forks): every child must exit normally, none
 * may be reported hung, nothing may be left. Same cell code as bench/fork_bench.py (STRESS_CELL).
 */
@Timeout(900)
class ForkStressTest extends KernelPerClass {
    static final int FORKS = 2000;
    static final String STRESS = """
            String jforkStress(int n) throws Exception {
                var stop = new java.util.concurrent.atomic.AtomicBoolean();
                var allocated = new java.util.concurrent.atomic.AtomicLong();
                Thread[] garbage = new Thread[2];
                for (int t = 0; t < garbage.length; t++) {
                    garbage[t] = new Thread(() -> {
                        byte[][] ring = new byte[64][];
                        long bytes = 0;
                        for (int k = 0; !stop.get(); k++) { ring[k & 63] = new byte[16 * 1024 + (k & 15) * 1024]; bytes += ring[k & 63].length; }
                        allocated.addAndGet(bytes);
                    }, "garbage-" + t);
                    garbage[t].start();
                }
                long gc0 = 0;
                for (var g : java.lang.management.ManagementFactory.getGarbageCollectorMXBeans()) gc0 += g.getCollectionCount();
                int retries0 = jfork.process.Forker.get().retries();
                long[] ns = new long[n];
                int completed = 0, notNormal = 0, forkFailed = 0;
                StringBuilder bad = new StringBuilder();
                long tAll = System.nanoTime();
                try {
                    for (int i = 0; i < n; i++) {
                        long t0 = System.nanoTime();
                        int p;
                        try {
                            p = os.fork();
                        } catch (RuntimeException e) {
                            forkFailed++;
                            bad.append(" fork#").append(i).append('=').append(e.getMessage());
                            ns[i] = System.nanoTime() - t0;
                            continue;
                        }
                        if (p == 0) os._exit(0);
                        var st = os.waitpid(p, 0).status();
                        ns[i] = System.nanoTime() - t0;
                        if (st.exited() && st.exitCode() == 0) completed++;
                        else { notNormal++; bad.append(' ').append(p).append('=').append(st); }
                    }
                } finally {
                    stop.set(true);
                    for (Thread t : garbage) t.join();
                }
                long gc1 = 0;
                for (var g : java.lang.management.ManagementFactory.getGarbageCollectorMXBeans()) gc1 += g.getCollectionCount();
                long[] sorted = ns.clone();
                java.util.Arrays.sort(sorted);
                return "STRESS n=" + n + " completed=" + completed + " notNormal=" + notNormal + " forkFailed=" + forkFailed
                        + " medianNs=" + sorted[n / 2] + " p90Ns=" + sorted[(int) (n * 0.9)] + " maxNs=" + sorted[n - 1]
                        + " totalNs=" + (System.nanoTime() - tAll) + " gcs=" + (gc1 - gc0) + " allocatedMB=" + (allocated.get() >> 20)
                        + " retries=" + (jfork.process.Forker.get().retries() - retries0) + "\\nNOT NORMAL:" + (bad.length() == 0 ? " none" : bad);
            }""";

    @Test
    void twoThousandForksWhileTwoThreadsAllocateAllCompleteAndNoneHangs() throws Exception {
        assertEquals("ok", client.execute(STRESS).status());
        long t0 = System.nanoTime();
        var r = client.execute("System.out.println(jforkStress(" + FORKS + "));", new com.google.gson.JsonObject(), 840_000);
        double seconds = (System.nanoTime() - t0) / 1e9;
        assertEquals("ok", r.status(), () -> r.stderr() + r.reply().content());
        Matcher m = Pattern.compile("STRESS (.*)").matcher(r.stdout());
        assertTrue(m.find(), () -> r.stdout() + r.stderr());
        Map<String, Long> s = new HashMap<>();
        for (String kv : m.group(1).trim().split(" ")) s.put(kv.split("=")[0], Long.parseLong(kv.split("=")[1]));
        String bad = r.stdout().lines().filter(l -> l.startsWith("NOT NORMAL:")).findFirst().orElse("NOT NORMAL: (line missing)");
        long hungReported = Pattern.compile("child \\d+ hung \\(").matcher(r.stderr()).results().count();
        String summary = String.format("%s in %.1f s (median %.2f ms, p90 %.2f ms, max %.1f ms; %d GCs; %d retries); "
                        + "hung reported: %d; %s", m.group(1), seconds, s.get("medianNs") / 1e6, s.get("p90Ns") / 1e6,
                s.get("maxNs") / 1e6, s.get("gcs"), s.get("retries"), hungReported, bad);
        System.out.println("[ForkStressTest] " + summary);
        String diagnostics = summary + "\nstderr: " + r.stderr() + "\nkernel log (hang lines):\n"
                + logOf(kernel).lines().filter(l -> l.contains("hung") || l.startsWith("#")).collect(Collectors.joining("\n"));
        assertTrue(s.get("gcs") > 0, () -> "the garbage threads caused no GC: " + diagnostics);
        assertEquals(0, hungReported, () -> "children reported hung: " + diagnostics);
        assertEquals(0, s.get("forkFailed"), () -> "forks that failed: " + diagnostics);
        assertEquals(0, s.get("notNormal"), () -> "children that did not exit 0: " + diagnostics);
        assertEquals(FORKS, s.get("completed"), () -> diagnostics);

        var ps = client.execute("%ps");
        List<String> live = ps.result() == null ? List.of() : ps.result().lines().skip(1)
                .filter(l -> !l.matches(".*\\b(exited with code|killed by)\\b.*")).toList();
        assertTrue(live.isEmpty(), () -> "%ps still lists live children: " + live);
    }
}
