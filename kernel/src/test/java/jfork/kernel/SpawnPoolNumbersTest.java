package jfork.kernel;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Measured numbers for Pool(n, "spawn"), kept out of the test run (mvn test -Dtest=SpawnPoolNumbersTest
 * -Dgroups=bench -Djfork.excludedGroups=none): start-up, first result, round trip, CPU-bound speedup with cold code,
 * allocation-heavy items. Printed, asserted only for correctness.
 */
@Timeout(300)
@org.junit.jupiter.api.Tag("bench")
class SpawnPoolNumbersTest {
    static KernelProcess kernel;
    static TestClient client;

    @BeforeAll
    static void start() throws Exception {
        kernel = new KernelProcess();
        client = new TestClient(kernel);
        client.waitReady();
    }

    @AfterAll
    static void stop() throws Exception {
        client.close();
        kernel.close();
    }

    private static String run(String code) {
        var r = client.execute(code, new com.google.gson.JsonObject(), 290_000);
        assertEquals("ok", r.status(), r.stderr() + r.reply().content());
        System.out.println("SpawnPoolNumbersTest: " + r.stdout().strip());
        return r.stdout();
    }

    @Test
    void numbers() {
        // cold: primes() is defined here and never run in the kernel before the pool runs it
        run("""
                int primes(int n) { int c = 0; for (int i = 2; i < n; i++) { boolean p = true; for (int d = 2; (long) d * d <= i; d++) if (i % d == 0) { p = false; break; } if (p) c++; } return c; }
                long churn(int mb) { long s = 0; for (int i = 0; i < mb; i++) { byte[] b = new byte[1 << 20]; b[i % b.length] = 1; s += b.length; } return s; }
                """);
        run("""
                for (int round = 0; round < 3; round++) {
                    long t0 = System.nanoTime();
                    Pool sp = new Pool(2, "spawn");
                    sp.spawnCore().awaitReady(60, TimeUnit.SECONDS);
                    long ready = System.nanoTime();
                    int v = sp.apply(x -> x + 1, 1);
                    long first = System.nanoTime();
                    System.out.printf("start-up: 2 workers ready %.0f ms (each %s ms), first apply result %.0f ms after new Pool%n",
                        (ready - t0) / 1e6, sp.spawnCore().startupMillis(), (first - t0) / 1e6);
                    sp.terminate();
                }
                """);
        run("""
                Pool rt = new Pool(2, "spawn");
                rt.spawnCore().awaitReady(60, TimeUnit.SECONDS);
                for (int i = 0; i < 500; i++) rt.apply(x -> x + 1, i);
                long[] ns = new long[2000];
                for (int i = 0; i < ns.length; i++) { long t = System.nanoTime(); rt.apply(x -> x + 1, i); ns[i] = System.nanoTime() - t; }
                Arrays.sort(ns);
                System.out.printf("apply round trip: median %.3f ms, p90 %.3f ms%n", ns[ns.length / 2] / 1e6, ns[ns.length * 9 / 10] / 1e6);
                List<Integer> big = IntStream.range(0, 100_000).boxed().toList();
                long t1 = System.nanoTime();
                List<Integer> d = rt.map(x -> x * 2, big);
                System.out.printf("map(x*2, 100,000 ints): %.0f ms, %.2f us/item%n", (System.nanoTime() - t1) / 1e6, (System.nanoTime() - t1) / 1e3 / big.size());
                long t2 = System.nanoTime();
                int n = 0; for (int x : rt.imap(x -> x * 2, IntStream.range(0, 5000).boxed().toList())) n++;
                System.out.printf("imap chunksize 1, 5,000 items: %.1f us/task%n", (System.nanoTime() - t2) / 1e3 / 5000);
                rt.terminate();
                """);
        run("""
                Pool cp = new Pool(2, "spawn");
                cp.spawnCore().awaitReady(60, TimeUnit.SECONDS);
                long c0 = System.nanoTime();
                List<Integer> par = cp.map(x -> primes(x), List.of(2_000_000, 2_000_000, 2_000_000, 2_000_000), 1);
                long c1 = System.nanoTime();
                List<Integer> seq = new ArrayList<>(); for (int i = 0; i < 4; i++) seq.add(primes(2_000_000));
                long c2 = System.nanoTime();
                System.out.printf("4 x primes below 2,000,000: spawn pool(2) cold %.0f ms, sequential in the kernel (its first run) %.0f ms, speedup %.2fx, same %s%n",
                    (c1 - c0) / 1e6, (c2 - c1) / 1e6, (c2 - c1) / (double) (c1 - c0), par.equals(seq));
                long a0 = System.nanoTime();
                List<Long> churned = cp.map(x -> churn(x), List.of(2048, 2048), 1);
                System.out.printf("allocation-heavy: 2 items each allocating and dropping 2 GB: %s in %.0f ms%n", churned, (System.nanoTime() - a0) / 1e6);
                cp.terminate();
                System.out.println("load average: " + Files.readString(Path.of("/proc/loadavg")).strip() + ", cpus " + Runtime.getRuntime().availableProcessors());
                """);
    }
}
