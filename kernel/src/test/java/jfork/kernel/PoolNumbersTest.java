package jfork.kernel;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Measured numbers for the Pool, a benchmark kept out of the test run (run it with -Dgroups=bench -Djfork.excludedGroups=none) (printed, not asserted beyond correctness): latency, per-task cost, speedup. */
@Timeout(180)
@org.junit.jupiter.api.Tag("bench")
class PoolNumbersTest {
    static KernelProcess kernel;
    static TestClient client;

    @BeforeAll
    static void start() throws Exception {
        kernel = new KernelProcess();
        client = new TestClient(kernel);
        client.waitReady();
        client.execute("try (Pool p = new Pool(1)) { p.map(x -> x, List.of(1)); }");
    }

    @AfterAll
    static void stop() throws Exception {
        client.close();
        kernel.close();
    }

    private static String run(String code) {
        var r = client.execute(code, new com.google.gson.JsonObject(), 170_000);
        assertEquals("ok", r.status(), r.stderr() + r.reply().content());
        System.out.println("PoolNumbersTest: " + r.stdout().strip());
        return r.stdout();
    }

    @Test
    void numbers() {
        run("""
                double median(long[] a) { long[] b = a.clone(); Arrays.sort(b); return b[b.length / 2] / 1e6; }
                long[] first = new long[15];
                for (int i = 0; i < first.length; i++) { long t = System.nanoTime(); try (Pool p = new Pool(2)) { p.apply(() -> 1); } first[i] = System.nanoTime() - t; }
                System.out.printf("pool create + first apply result: median %.1f ms of %d%n", median(first), first.length);
                List<Integer> tenK = IntStream.range(0, 10_000).boxed().toList();
                Pool.Fn<Integer, Integer> dbl = x -> x * 2;
                long[] cold = new long[15];
                for (int i = 0; i < cold.length; i++) { long t = System.nanoTime(); try (Pool p = new Pool(2)) { p.map(dbl, tenK); } cold[i] = System.nanoTime() - t; }
                System.out.printf("Pool(2) create + map(double, 10,000 ints) + close: median %.1f ms%n", median(cold));
                Pool warmPool = new Pool(2);
                long[] warm = new long[15];
                for (int i = 0; i < warm.length; i++) { long t = System.nanoTime(); warmPool.map(dbl, tenK); warm[i] = System.nanoTime() - t; }
                System.out.printf("map(double, 10,000 ints) on an existing Pool(2): median %.1f ms (forks 2 workers per call)%n", median(warm));
                List<Integer> hundredK = IntStream.range(0, 100_000).boxed().toList();
                long t1 = System.nanoTime(); warmPool.map(dbl, hundredK); long bigMap = System.nanoTime() - t1;
                System.out.printf("map 100,000 tiny items (default chunks): %.1f ms, %.2f us/item%n", bigMap / 1e6, bigMap / 1e3 / 100_000);
                List<Integer> twentyK = IntStream.range(0, 20_000).boxed().toList();
                long t2 = System.nanoTime(); int cnt = 0; for (int v : warmPool.imap(dbl, twentyK)) cnt++; long oneByOne = System.nanoTime() - t2;
                System.out.printf("imap 20,000 items with chunksize 1 (one task each): %.1f ms, %.1f us/task%n", oneByOne / 1e6, oneByOne / 1e3 / 20_000);
                warmPool.terminate();
                """);
        run("""
                int countPrimes(int below) { int c = 0; outer: for (int n = 2; n < below; n++) { for (int d = 2; (long) d * d <= n; d++) if (n % d == 0) continue outer; c++; } return c; }
                List<Integer> bounds = List.of(600_000, 600_000, 600_000, 600_000);
                long tc = System.nanoTime(); List<Integer> coldR; try (Pool p = new Pool(2)) { coldR = p.map(b -> countPrimes(b), bounds); } long coldT = System.nanoTime() - tc;
                long ts = System.nanoTime(); for (int b : bounds) countPrimes(b); long seqT = System.nanoTime() - ts;
                for (int b : bounds) countPrimes(b);
                long tw = System.nanoTime(); List<Integer> warmR; try (Pool p = new Pool(2)) { warmR = p.map(b -> countPrimes(b), bounds); } long warmT = System.nanoTime() - tw;
                System.out.printf("4 x primes below 600,000: sequential in kernel %.0f ms; Pool(2) cold (never run in kernel) %.0f ms; Pool(2) after warming in kernel %.0f ms; speedup warm %.2fx, cold %.2fx%n",
                    seqT / 1e6, coldT / 1e6, warmT / 1e6, (double) seqT / warmT, (double) seqT / coldT);
                System.out.println(coldR.equals(warmR) ? "same results" : "DIFFERENT " + coldR + warmR);
                """);
    }
}
