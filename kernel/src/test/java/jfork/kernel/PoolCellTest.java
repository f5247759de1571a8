package jfork.kernel;

import com.google.gson.JsonObject;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

import static jfork.kernel.KernelProcess.fdList;
import static jfork.kernel.KernelProcess.state;
import static jfork.kernel.TestClient.obj;
import static org.junit.jupiter.api.Assertions.*;

/** Pool from cells, through a real client: results, errors, interrupts, kills; nothing leaked. */
@Timeout(120)
class PoolCellTest extends KernelPerClass {
    @BeforeAll
    static void warmPool() throws Exception {
        var r = client.execute("try (Pool p = new Pool(1)) { p.map(x -> x, List.of(1)); }");
        assertEquals("ok", r.status(), r.stderr() + r.reply().content());
        assertFalse(kernel.log().contains("warm-up failed"), kernel.log()); // every worker path ran in the kernel first
        baselineFds = lowestFdCountOverASecond();
    }

    @Override
    long childGraceMillis() {
        return 1000; // workers end after their pool is closed
    }

    @Test
    void theArticleExamplePrintsOneLinePerItemFromWorkersThenTheDoubledList() {
        var r = client.execute("""
                try (Pool pool = new Pool()) {
                    System.out.println(pool.map(x -> {
                        System.out.println("I'm process " + os.getpid());
                        return x * 2;
                    }, List.of(2, 3, 4, 5)));
                }""");
        assertEquals("ok", r.status(), r.stderr() + r.reply().content());
        List<String> lines = r.stdout().lines().toList();
        assertEquals(5, lines.size(), r.stdout());
        for (String l : lines.subList(0, 4)) {
            Matcher m = Pattern.compile("I'm process (\\d+)").matcher(l);
            assertTrue(m.matches(), l);
            assertNotEquals(Long.toString(kernel.pid()), m.group(1), "ran in the kernel itself");
        }
        assertEquals("[4, 6, 8, 10]", lines.get(4));
    }

    /**
     * A forked worker cannot JIT-compile, so the pool compiles a function in the kernel before it
     * forks the workers, with the cell's methods the function calls. Checked in workers forked
     * later (they inherit the kernel's compiled code): the pool's function and the cell method it
     * calls are compiled there, a lambda never given to a pool is not.
     */
    @Test
    void aFunctionAndTheCellMethodItCallsAreCompiledInWorkersThoughTheKernelNeverRanThem() {
        var r = client.execute("int coldWork(int x) { int s = 0; for (int i = 0; i < x; i++) s += i % 7; return s; }");
        assertEquals("ok", r.status(), r.stderr() + r.reply().content());
        r = client.execute("Pool.Fn<Integer, Integer> cold = x -> coldWork(x);");
        assertEquals("ok", r.status(), r.stderr() + r.reply().content());
        r = client.execute("Pool.Fn<Integer, Integer> neverPooled = x -> coldWork(x) + 1;");
        assertEquals("ok", r.status(), r.stderr() + r.reply().content());
        r = client.execute("""
                var coldMethods = jfork.process.CompileBeforeFork.methodsFor(cold);
                var neverPooledBody = jfork.process.CompileBeforeFork.methodsFor(neverPooled).stream()
                        .filter(m -> m.getName().startsWith("lambda$")).toList();
                System.out.println("methods: " + coldMethods.stream().map(m -> m.getName()).sorted().toList());
                try (Pool p = new Pool(2)) {
                    System.out.println("results: " + p.map(cold, List.of(10, 20, 30)));
                    // a new function: workers forked now, after the first map compiled cold
                    System.out.println("in workers: " + p.map(i -> coldMethods.stream().allMatch(jfork.process.CompileBeforeFork::isCompiled)
                            + "/" + neverPooledBody.stream().anyMatch(jfork.process.CompileBeforeFork::isCompiled), List.of(1, 2)));
                }""");
        assertEquals("ok", r.status(), r.stderr() + r.reply().content());
        assertTrue(r.stdout().contains("results: [24, 57, 85]"), r.stdout());
        assertTrue(r.stdout().matches("(?s).*methods: \\[.*coldWork.*lambda\\$.*\\].*"), "the cell method it calls is not among " + r.stdout());
        assertTrue(r.stdout().contains("in workers: [true/false, true/false]"), r.stdout());
    }

    @Test
    void everyMethodGivesPythonsResults() {
        var r = client.execute("""
                Pool pool = new Pool(2);
                var out = new ArrayList<Object>();
                out.add(pool.map(x -> x + 1, List.of(1, 2, 3, 4, 5), 2));
                out.add(pool.starmap((a, b) -> a * b, List.of(Map.entry(2, 3), Map.entry(4, 5))));
                var it = new ArrayList<String>();
                for (String s : pool.imap(x -> "v" + x, List.of(1, 2, 3))) it.add(s);
                out.add(it);
                var un = new ArrayList<Integer>();
                for (int v : pool.imapUnordered(x -> x * x, List.of(1, 2, 3, 4), 2)) un.add(v);
                Collections.sort(un);
                out.add(un);
                out.add(pool.apply(x -> x * 10, 7));
                out.add(pool.apply(() -> "called"));
                AsyncResult<Integer> ar = pool.applyAsync(x -> { Thread.sleep(1500); return x + 100; }, 1);
                out.add(ar.ready());
                out.add(ar.get());
                out.add(ar.ready() + " " + ar.successful());
                var slow = pool.applyAsync(() -> { Thread.sleep(3000); return 1; });
                try { slow.get(100, TimeUnit.MILLISECONDS); out.add("no timeout"); } catch (TimeoutException e) { out.add("timeout"); }
                out.add(pool.mapAsync(x -> -x, List.of(1, 2)).get());
                pool.terminate();
                pool.join();
                out.add(pool.state());
                String.valueOf(out)""");
        assertEquals("ok", r.status(), r.stderr() + r.reply().content());
        assertEquals("\"[[2, 3, 4, 5, 6], [6, 20], [v1, v2, v3], [1, 4, 9, 16], 70, called, false, 101, true true, "
                + "timeout, [-1, -2], TERMINATE]\"", r.result());
        var closed = client.execute("""
                Pool p2 = new Pool(1);
                p2.apply(() -> 1);
                p2.close();
                String joinOk; p2.join(); joinOk = p2.state();
                p2.map(x -> x, List.of(1))""");
        assertEquals("jfork.pool.PoolStateException", closed.ename(), closed.reply().content().toString());
        var early = client.execute("Pool p3 = new Pool(1); try { p3.join(); } finally { p3.terminate(); }");
        assertTrue(early.reply().content().get("evalue").getAsString().contains("still running"), early.reply().content().toString());
        var forkserver = client.execute("new Pool(2, \"forkserver\")"); // "spawn": SpawnPoolCellTest
        assertEquals("java.lang.UnsupportedOperationException", forkserver.ename());
    }

    @Test
    void aWorkerExceptionIsRaisedInTheCellWithItsPidAndStackAndThePoolStaysUsable() {
        var r = client.execute("""
                Pool ep = new Pool(2);
                int boom(int x) { if (x == 3) throw new IllegalStateException("boom at " + x); return x; }
                ep.map(x -> boom(x), List.of(1, 2, 3, 4))""");
        assertEquals("error", r.status());
        assertEquals("jfork.pool.TaskFailedException", r.ename());
        String evalue = r.reply().content().get("evalue").getAsString();
        assertTrue(evalue.matches("java.lang.IllegalStateException: boom at 3 \\(in worker \\d+, map item 2 \\(3\\)\\)"), evalue);
        String tb = String.join("\n", r.reply().content().getAsJsonArray("traceback").asList().stream().map(e -> e.getAsString()).toList());
        assertTrue(tb.contains("RemoteTraceback") && tb.contains("boom("), tb);
        var again = client.execute("ep.map(x -> x * 3, List.of(1, 2)) + \" \" + ep.state()");
        assertEquals("\"[3, 6] RUN\"", again.result(), again.reply().content().toString());
        var unsendable = client.execute("ep.map(x -> new Thread(\"t\" + x), List.of(1, 2))");
        assertEquals("jfork.pool.ResultNotSerializableException", unsendable.ename());
        String msg = unsendable.reply().content().get("evalue").getAsString();
        assertTrue(msg.contains("java.lang.Thread") && msg.matches("(?s).*item [01] \\([12]\\).*"), msg); // first error to arrive wins
        var empty = client.execute("ep.map(x -> x, List.<Integer>of()) + \" \" + ep.core().forks()");
        assertTrue(empty.result().startsWith("\"[] "), empty.result());
        client.execute("ep.terminate();");
    }

    @Test
    void workersAreKeptForLaterCallsOfAFunctionTheyKnowAndSeeTheStateOfTheirFork() {
        var r = client.execute("""
                int base = 1;
                Pool kp = new Pool(2);
                Pool.Fn<Integer, Integer> addBase = x -> x + base;
                var out = new ArrayList<Object>();
                out.add(kp.map(addBase, List.of(1, 2, 3, 4)));
                var pids1 = new TreeSet<>(kp.workerPids());
                int forks1 = kp.core().forks();
                base = 100; // like CPython: a kept worker sees the state of its fork
                List<Integer> big = IntStream.range(0, 10_000).boxed().toList();
                List<Integer> again = kp.map(addBase, big);
                boolean allOld = true; for (int i = 0; i < big.size(); i++) allOld &= again.get(i) == i + 1;
                out.add(allOld + " " + new TreeSet<>(kp.workerPids()).equals(pids1) + " " + (kp.core().forks() - forks1)
                        + " " + kp.core().reusedCalls());
                out.add(kp.apply(addBase, 5)); // same function, one item: kept workers too
                // a new function: a new generation of workers (one: one item), forked now; the idle ones retire
                out.add(kp.starmap((a, b) -> a * b, List.of(Map.entry(2, 3))) + " " + (kp.core().forks() - forks1));
                out.add(kp.map(addBase, List.of(7)) + " " + kp.workerPids().size()); // it knows addBase and sees base = 100
                record Box(int v) {}
                out.add(kp.map(b -> b.v() + base, List.of(new Box(1))) + " " + (kp.core().forks() - forks1)); // new lambda: forked now, sees base = 100
                kp.close();
                kp.join();
                out.add(kp.state() + " " + kp.workerPids());
                String.valueOf(out)""");
        assertEquals("ok", r.status(), r.stderr() + r.reply().content());
        assertEquals("\"[[2, 3, 4, 5], true true 0 1, 6, [6] 1, [107] 1, [101] 2, CLOSE []]\"", r.result());
    }

    @Test
    void closeOnlyStopsNewTasksAndJoinWaitsForThem() {
        var r = client.execute("""
                Pool cp = new Pool(1);
                var slow = cp.applyAsync(() -> { Thread.sleep(1500); return 7; });
                long c0 = System.nanoTime();
                cp.close();
                long closeMs = (System.nanoTime() - c0) / 1_000_000;
                boolean readyAtClose = slow.ready();
                String refused; try { cp.map(x -> x, List.of(1)); refused = "accepted"; } catch (PoolStateException e) { refused = "refused"; }
                cp.join();
                AsyncResult<Integer> later;
                boolean laterReadyAfterBlock;
                {
                    try (Pool wp = new Pool(1)) { later = wp.applyAsync(() -> { Thread.sleep(2000); return 5; }); }
                    laterReadyAfterBlock = later.ready(); // try-with-resources closed it: the task still runs
                }
                (closeMs < 1000) + " " + readyAtClose + " " + refused + " " + slow.ready() + " " + slow.get() + " "
                        + cp.workerPids() + " " + laterReadyAfterBlock + " " + later.get()""".replace("PoolStateException", "jfork.pool.PoolStateException"));
        assertEquals("ok", r.status(), r.stderr() + r.reply().content());
        assertEquals("\"true false refused true 7 [] false 5\"", r.result());
    }

    @Test
    void imapRaisesForTheFailedItemAndGoesOnAndMapRaisesOnceEveryChunkIsDone() {
        var defs = client.execute("""
                List<String> outcome(Iterator<Integer> it) {
                    var out = new ArrayList<String>();
                    while (it.hasNext()) {
                        try { out.add(String.valueOf(it.next())); }
                        catch (jfork.pool.TaskFailedException e) { out.add("E" + e.itemIndex() + ":" + e.remoteType().replace("java.lang.", "")); }
                    }
                    return out;
                }""");
        assertEquals("ok", defs.status(), defs.reply().content().toString());
        var r = client.execute("""
                Pool fp = new Pool(2);
                Pool.Fn<Integer, Integer> picky = x -> { if (x % 3 == 0) throw new IllegalArgumentException("bad " + x); return x; };
                var seven = List.of(1, 2, 3, 4, 5, 6, 7);
                var ordered = outcome(fp.imap(picky, seven));
                var unordered = outcome(fp.imapUnordered(picky, seven)); Collections.sort(unordered);
                var chunked = outcome(fp.imap(picky, seven, 2)); // CPython: chunks in a generator, which ends when it raises
                var ar = fp.mapAsync(x -> { if (x == 0) throw new IllegalStateException("first"); Thread.sleep(400); return x; }, List.of(0, 1, 2, 3), 1);
                String how; try { ar.get(); how = "no error"; } catch (jfork.pool.TaskFailedException e) { how = e.getMessage().substring(0, e.getMessage().indexOf(" (")); }
                String timed; try { fp.imap(x -> { Thread.sleep(3000); return x; }, List.of(1)).next(50, TimeUnit.MILLISECONDS); timed = "got"; } catch (TimeoutException e) { timed = "timeout"; }
                fp.terminate();
                ordered + " " + unordered + " " + chunked + " " + how + " done=" + ar.job().itemsDone() + " " + ar.successful() + " " + timed""");
        assertEquals("ok", r.status(), r.stderr() + r.reply().content());
        assertEquals("\"[1, 2, E2:IllegalArgumentException, 4, 5, E5:IllegalArgumentException, 7] "
                + "[1, 2, 4, 5, 7, E2:IllegalArgumentException, E5:IllegalArgumentException] "
                + "[1, 2, E2:IllegalArgumentException] java.lang.IllegalStateException: first done=3 false timeout\"", r.result());
    }

    @Test
    void anIdleKeptWorkerKilledFromOutsideIsReplacedOnTheNextCall() throws Exception {
        var a = client.execute("Pool ik = new Pool(2); Pool.Fn<Integer, Integer> inc = x -> x + 1; ik.map(inc, List.of(1, 2, 3, 4)) + \" \" + ik.workerPids().size()");
        assertEquals("\"[2, 3, 4, 5] 2\"", a.result(), a.reply().content().toString());
        ProcessHandle victim = kernel.process.children().findFirst().orElseThrow();
        new ProcessBuilder("kill", "-KILL", Long.toString(victim.pid())).start().waitFor();
        long deadline = System.currentTimeMillis() + 5000;
        while (victim.isAlive() && System.currentTimeMillis() < deadline) Thread.sleep(20);
        var b = client.execute("ik.map(inc, IntStream.range(0, 100).boxed().toList()).get(99) + \" \" + ik.workerPids().size() + \" \" + ik.workerPids().contains(%d)".formatted(victim.pid()));
        assertEquals("\"100 2 false\"", b.result(), b.reply().content().toString());
        client.execute("ik.terminate();");
    }

    @Test
    void aWorkerThatMakesMuchGarbageRetiresItselfAndTheCallCompletes() {
        var r = client.execute("""
                int chew(int x) { byte[] b = new byte[8 << 20]; b[x % b.length] = 1; return b.length >> 20; }
                chew(1);
                Pool gp2 = new Pool(1);
                List<Integer> mbs = gp2.map(x -> chew(x), IntStream.range(0, 60).boxed().toList(), 1); // 480 MB in all, more than eden
                int total = 0; for (int m : mbs) total += m;
                String s = total + " forks>1=" + (gp2.core().forks() > 1) + " hangs=" + gp2.core().hangs();
                gp2.terminate();
                s""");
        assertEquals("ok", r.status(), r.stderr() + r.reply().content());
        assertEquals("\"480 forks>1=true hangs=0\"", r.result(), r.stderr());
    }

    @Test
    void aTaskThatNeedsAGarbageCollectionIsReportedClearly() {
        var r = client.execute("""
                long churn(int mb) { long s = 0; for (int i = 0; i < mb; i++) { byte[] b = new byte[1 << 20]; b[i % b.length] = 1; s += b.length; } return s; }
                churn(2);
                Pool hp2 = new Pool(1);
                String why;
                try { hp2.apply(x -> churn(x), 2048); why = "completed"; } catch (jfork.pool.WorkerLostException e) { why = e.getMessage(); }
                finally { hp2.terminate(); }
                why""");
        assertEquals("ok", r.status(), r.stderr() + r.reply().content());
        String why = r.result();
        assertTrue(why.contains("garbage collection") && why.contains("spawn") && why.contains("second try"), why);
    }

    @Test
    void aHundredThousandTinyItems() {
        var r = client.execute("""
                long t0 = System.nanoTime();
                List<Integer> big = IntStream.range(0, 100_000).boxed().toList();
                List<Integer> doubled;
                try (Pool bp = new Pool(2)) { doubled = bp.map(x -> x * 2, big); }
                long sum = 0; for (int i = 0; i < doubled.size(); i++) { if (doubled.get(i) != 2 * i) throw new AssertionError(i); sum += doubled.get(i); }
                System.out.println("100k ms " + (System.nanoTime() - t0) / 1_000_000);
                sum""");
        assertEquals("ok", r.status(), r.stderr() + r.reply().content());
        assertEquals(Long.toString(2L * (100_000L * 99_999L / 2)), r.result());
        System.out.println("PoolCellTest: " + r.stdout().strip());
    }

    @Test
    void aPoolInsideAWorkerIsRefusedClearly() {
        var r2 = client.execute("""
                String nested;
                try (Pool np = new Pool(1)) {
                    nested = np.apply(() -> { try (Pool inner = new Pool(1)) { return "created"; } catch (IllegalStateException e) { return e.getMessage(); } });
                }
                nested""");
        assertTrue(r2.result().contains("nested pools are refused"), r2.reply().content() + " / " + r2.result());
    }

    @Test
    void interruptMidMapKillsTheWorkersWithinASecond() throws Exception {
        String id = client.send(client.shell, "execute_request", obj("code",
                "try (Pool ip = new Pool(2)) { ip.map(x -> { Thread.sleep(300); return x; }, IntStream.range(0, 40).boxed().toList(), 1); }",
                "silent", false, "store_history", true, "user_expressions", new JsonObject(), "allow_stdin", false, "stop_on_error", false));
        long deadline = System.currentTimeMillis() + 10_000;
        while (kernel.process.children().count() < 2 && System.currentTimeMillis() < deadline) Thread.sleep(20);
        List<ProcessHandle> workers = kernel.process.children().toList();
        assertEquals(2, workers.size());
        Thread.sleep(400);
        long t0 = System.nanoTime();
        client.request(client.control, "interrupt_request", new JsonObject());
        while (workers.stream().anyMatch(ProcessHandle::isAlive) && System.nanoTime() - t0 < 3_000_000_000L) Thread.sleep(5);
        long ms = (System.nanoTime() - t0) / 1_000_000;
        System.out.println("PoolCellTest: workers gone " + ms + " ms after interrupt_request");
        assertTrue(ms < 1000, "workers still alive " + ms + " ms after the interrupt");
        var r = client.collect(id, 10_000);
        assertEquals("Interrupted", r.ename(), r.reply().content().toString());
        assertEquals("2", client.execute("1 + 1").result());
    }

    @Test
    void interruptWhileTheCellDoesSomethingElseEndsAsyncWorkersToo() throws Exception {
        client.execute("Pool ap = new Pool(1); var ar2 = ap.applyAsync(() -> { Thread.sleep(20_000); return 1; });");
        List<ProcessHandle> workers = kernel.process.children().toList();
        assertEquals(1, workers.size());
        String id = client.send(client.shell, "execute_request", obj("code", "Thread.sleep(30_000);",
                "silent", false, "store_history", true, "user_expressions", new JsonObject(), "allow_stdin", false, "stop_on_error", false));
        Thread.sleep(300);
        long t0 = System.nanoTime();
        client.request(client.control, "interrupt_request", new JsonObject());
        while (workers.get(0).isAlive() && System.nanoTime() - t0 < 3_000_000_000L) Thread.sleep(5);
        long ms = (System.nanoTime() - t0) / 1_000_000;
        assertTrue(ms < 1000, "async worker still alive " + ms + " ms after the interrupt");
        assertEquals("Interrupted", client.collect(id, 10_000).ename());
        var r = client.execute("String how; try { ar2.get(); how = \"got\"; } catch (CancellationException e) { how = e.getMessage(); } ap.terminate(); how");
        assertEquals("\"pool job interrupted\"", r.result(), r.reply().content().toString());
    }

    @Test
    void terminateWithTasksRunningKillsThemAndFailsTheirResults() {
        var r = client.execute("""
                Pool tp = new Pool(2);
                var a = tp.applyAsync(() -> { Thread.sleep(20_000); return 1; });
                var b = tp.applyAsync(() -> { Thread.sleep(20_000); return 2; });
                Thread.sleep(300);
                int live = tp.workerPids().size();
                long t0 = System.nanoTime();
                tp.terminate();
                long ms = (System.nanoTime() - t0) / 1_000_000;
                String how; try { a.get(); how = "got"; } catch (CancellationException e) { how = e.getMessage(); }
                live + " " + tp.workerPids().size() + " " + (ms < 1000) + " " + how + " " + b.ready()""");
        assertEquals("ok", r.status(), r.stderr() + r.reply().content());
        assertEquals("\"2 0 true pool job terminated: the pool was terminated true\"", r.result());
    }

    @Test
    void aWorkerKilledFromOutsideIsNamedWithItsSignal() throws Exception {
        String id = client.send(client.shell, "execute_request", obj("code",
                "Pool kp = new Pool(2); try { kp.map(x -> { Thread.sleep(400); return x; }, IntStream.range(0, 8).boxed().toList(), 1); } finally { kp.terminate(); }",
                "silent", false, "store_history", true, "user_expressions", new JsonObject(), "allow_stdin", false, "stop_on_error", false));
        long deadline = System.currentTimeMillis() + 10_000;
        while (kernel.process.children().count() < 2 && System.currentTimeMillis() < deadline) Thread.sleep(20);
        ProcessHandle victim = kernel.process.children().findFirst().orElseThrow();
        Thread.sleep(150);
        new ProcessBuilder("kill", "-KILL", Long.toString(victim.pid())).start().waitFor();
        var r = client.collect(id, 10_000);
        assertEquals("jfork.pool.WorkerLostException", r.ename(), r.reply().content().toString());
        String msg = r.reply().content().get("evalue").getAsString();
        assertTrue(msg.contains("worker " + victim.pid()) && msg.contains("SIGKILL"), msg);
        assertEquals("\"[1, 2] RUN\"", client.execute("Pool kp2 = new Pool(1); String s = kp2.map(x -> x, List.of(1, 2)) + \" \" + kp2.state(); kp2.terminate(); s").result());
    }

    @Test
    void aWorkerThatHangsIsKilledRetriedOnceAndReported() {
        var r = client.execute("""
                var hlock = new java.util.concurrent.locks.ReentrantLock();
                var hheld = new CountDownLatch(1);
                Thread hholder = new Thread(() -> { hlock.lock(); hheld.countDown(); try { Thread.sleep(8000); } catch (InterruptedException e) {} finally { hlock.unlock(); } });
                hholder.start(); hheld.await();
                hlock.tryLock(); hlock.isLocked();
                Pool hp = new Pool(1);
                String hres;
                try { hp.apply(() -> { hlock.lock(); return "never"; }); hres = "no error"; }
                catch (WorkerLostException | jfork.pool.WorkerLostException e) { hres = e.getMessage(); }
                finally { hholder.interrupt(); hp.terminate(); }
                hres + " forks=" + hp.core().forks() + " hangs=" + hp.core().hangs()""".replace("WorkerLostException | ", ""));
        assertEquals("ok", r.status(), r.stderr() + r.reply().content());
        assertTrue(r.result().contains("hung") && r.result().contains("second try") && r.result().contains("forks=2 hangs=2"),
                r.result() + r.stderr());
        assertTrue(r.stderr().contains("running item 0 again"), r.stderr());
    }

    @Test
    void aLongMapShowsALiveProgressBarReplacedByASummaryAndTheTimelineIsSvg() {
        var r = client.execute("""
                Pool gp = new Pool(2);
                gp.map(x -> { Thread.sleep(100); return x; }, IntStream.range(0, 36).boxed().toList(), 1);
                gp.timeline()""");
        assertEquals("ok", r.status(), r.stderr() + r.reply().content());
        var shown = r.of("display_data");
        var updates = r.of("update_display_data");
        assertEquals(1, shown.size(), r.iopub().toString());
        assertTrue(updates.size() >= 2, "updates: " + updates.size());
        String id = shown.get(0).content().getAsJsonObject("transient").get("display_id").getAsString();
        var last = updates.get(updates.size() - 1).content();
        assertEquals(id, last.getAsJsonObject("transient").get("display_id").getAsString());
        assertTrue(last.getAsJsonObject("data").get("text/plain").getAsString().startsWith("map: 36/36 items in"), last.toString());
        var data = r.of("execute_result").get(0).content().getAsJsonObject("data");
        assertTrue(data.get("image/svg+xml").getAsString().contains("<rect"), data.toString());
        assertTrue(data.get("text/plain").getAsString().contains("36 chunks on 2 workers"), data.toString());
        client.execute("gp.terminate();");
    }

    @Test
    void poolMagicShowsEachResultWithItsWorkerPidAndExplainsBadArguments() {
        client.execute("int offset = 100;");
        var r = client.execute("%%pool -n 2 --items 'List.of(1, 2, 3, 4)' --as n\nn * n + offset");
        assertEquals("ok", r.status(), r.stderr() + r.reply().content());
        String text = r.result();
        List<String> lines = text.lines().toList();
        assertEquals(5, lines.size(), text);
        int[] expect = {101, 104, 109, 116};
        for (int i = 0; i < 4; i++) {
            Matcher m = Pattern.compile(i + ": " + (i + 1) + " -> " + expect[i] + "  \\[worker (\\d+)]").matcher(lines.get(i));
            assertTrue(m.matches(), lines.get(i));
            assertNotEquals(Long.toString(kernel.pid()), m.group(1));
        }
        var html = r.of("execute_result").get(0).content().getAsJsonObject("data").get("text/html").getAsString();
        assertTrue(html.contains("<th>worker pid</th>"), html);
        var block = client.execute("%%pool -n 1 --items 'new String[]{\"a\", \"bb\"}' --timeline\nint len = x.length();\nreturn len;");
        assertEquals("ok", block.status(), block.reply().content().toString());
        assertTrue(block.result().startsWith("0: a -> 1"), block.result());
        assertTrue(block.of("display_data").get(0).content().getAsJsonObject("data").has("image/svg+xml"));
        var noItems = client.execute("%%pool -n 2\nx");
        assertEquals("UsageError", noItems.ename());
        String msg = noItems.reply().content().get("evalue").getAsString();
        assertTrue(msg.contains("--items EXPR is required") && msg.contains("Usage:"), msg);
        assertEquals("UsageError", client.execute("%%pool -n 0 --items 'List.of(1)'\nx").ename());
        assertEquals("UsageError", client.execute("%%pool --items 'List.of(1)' --as 1x\nx").ename());
    }

    @Test
    void manyPoolsLeaveNoThreadBehind() throws Exception {
        client.execute("try (Pool p = new Pool(2)) { p.map(x -> x, List.of(1, 2)); }");
        long before = threads(kernel.pid());
        var r = client.execute("for (int i = 0; i < 6; i++) { try (Pool p = new Pool(2)) { p.map(x -> x, List.of(1, 2, 3)); } }");
        assertEquals("ok", r.status(), r.reply().content().toString());
        Thread.sleep(300);
        long after = threads(kernel.pid());
        assertTrue(after <= before + 1, "kernel threads grew from " + before + " to " + after);
    }

    static long threads(long pid) throws java.io.IOException {
        try (var s = java.nio.file.Files.list(java.nio.file.Path.of("/proc/" + pid + "/task"))) {
            return s.count();
        }
    }
}
