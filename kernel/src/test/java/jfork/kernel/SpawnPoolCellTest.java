package jfork.kernel;

import com.google.gson.JsonObject;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

import static jfork.kernel.KernelProcess.fdList;
import static jfork.kernel.KernelProcess.state;
import static jfork.kernel.TestClient.obj;
import static org.junit.jupiter.api.Assertions.*;

/** Pool(n, "spawn") from cells, through a real client: workers are fresh JVMs; nothing leaked. */
@Timeout(120)
class SpawnPoolCellTest extends KernelPerClass {
    @BeforeAll
    static void warmSpawnPool() throws Exception {
        var r = client.execute("try (Pool p = new Pool(1, \"spawn\")) { p.map(x -> x, List.of(1)); }");
        assertEquals("ok", r.status(), r.stderr() + r.reply().content());
        baselineFds = lowestFdCountOverASecond();
    }

    @Override
    long childGraceMillis() {
        return 2000; // a worker JVM takes longer to end
    }

    @Test
    void mapStarmapImapApplyWithCellMethodsVariablesAndRecords() {
        var r = client.execute("""
                int offset = 100;
                int sq(int x) { return x * x; }
                record Pt(int a, long pid) implements java.io.Serializable {}
                Pool sp = new Pool(2, "spawn");
                var out = new ArrayList<Object>();
                out.add(sp.map(x -> sq(x) + offset, List.of(1, 2, 3, 4)));
                out.add(sp.map(x -> x + 1, List.of(1, 2, 3, 4, 5), 2));
                out.add(sp.starmap((a, b) -> a * b + offset, List.of(Map.entry(2, 3), Map.entry(4, 5))));
                var it = new ArrayList<String>();
                for (String s : sp.imap(x -> "v" + x, List.of(1, 2, 3))) it.add(s);
                out.add(it);
                var un = new ArrayList<Integer>();
                for (int v : sp.imapUnordered(x -> x * x, List.of(1, 2, 3, 4), 2)) un.add(v);
                Collections.sort(un);
                out.add(un);
                out.add(sp.apply(x -> x * 10, 7));
                out.add(sp.apply(() -> "called " + offset));
                AsyncResult<Pt> ar = sp.applyAsync(x -> { Thread.sleep(500); return new Pt(x, ProcessHandle.current().pid()); }, 5);
                out.add(ar.ready());
                Pt pt = ar.get();
                out.add(pt.a() + " " + (pt.pid() != ProcessHandle.current().pid()) + " " + sp.workerPids().contains((int) pt.pid()));
                out.add(ar.ready() + " " + ar.successful());
                out.add(sp.mapAsync(x -> -x, List.of(1, 2)).get());
                out.add(sp.map(x -> x, List.<Integer>of()));
                sp.close();
                sp.join(); // close() only stops new tasks (Python): join() waits for the workers to end
                out.add(sp.state() + " " + sp.workerPids().size());
                String.valueOf(out)""");
        assertEquals("ok", r.status(), r.stderr() + r.reply().content());
        assertEquals("\"[[101, 104, 109, 116], [2, 3, 4, 5, 6], [106, 120], [v1, v2, v3], [1, 4, 9, 16], 70, called 100, "
                + "false, 5 true true, true true, [-1, -2], [], CLOSE 0]\"", r.result());
    }

    @Test
    void everyShapeOfLambdaReachesTheWorkers() {
        // Workers rebuild a cell's lambda by calling its method directly (DirectLambda); shapes that
        // cannot be called that way (unbound method references, constructor references) take the JDK's
        // lambda deserialization instead. Both must give the same results.
        var r = client.execute("""
                Pool shapes = new Pool(1, "spawn");
                Pool.Fn<Integer, Integer> inner = x -> x + 7;
                class Scale implements java.io.Serializable {
                    final int k; Scale(int k) { this.k = k; }
                    int times(Integer x) { return k * x; }
                }
                Scale scale = new Scale(3);
                var got = new ArrayList<Object>();
                got.add(shapes.map(Math::abs, List.of(-1, 2, -3)));                       // static method reference
                got.add(shapes.map(String::length, List.of("a", "bb", "")));              // unbound: standard path
                got.add(shapes.map(scale::times, List.of(1, 2)));                         // bound instance method
                got.add(shapes.map(x -> inner.apply(x) * 2, List.of(1, 2)));              // a lambda in a cell variable
                { Pool.Fn<Integer, Integer> local = y -> y + 1;                          // a lambda capturing a lambda
                  got.add(shapes.map(x -> local.apply(x) * 2, List.of(1, 2))); }
                got.add(shapes.map(StringBuilder::new, List.of("x", "yz")).toString());  // constructor reference
                got.add(shapes.map(x -> { if (x == 2) throw new IllegalStateException("two"); return x; }, List.of(1))); // checked path
                String thrown;
                try { shapes.map(x -> { throw new java.io.IOException("checked " + x); }, List.of(5)); thrown = "none"; }
                catch (Exception e) { thrown = e.getClass().getSimpleName() + ": " + e.getMessage(); }
                got.add(thrown.contains("IOException: checked 5"));
                shapes.terminate();
                String.valueOf(got)""");
        assertEquals("ok", r.status(), r.stderr() + r.reply().content());
        assertEquals("\"[[1, 2, 3], [1, 2, 0], [3, 6], [16, 18], [4, 6], [x, yz], [1], true]\"", r.result());
    }

    @Test
    void workersPrintToTheCellAndTheArticleExampleRuns() {
        var r = client.execute("""
                try (Pool pool = new Pool(2, "spawn")) {
                    System.out.println(pool.map(x -> {
                        System.out.println("I'm process " + ProcessHandle.current().pid());
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

    @Test
    void thePoolIsReusedAcrossCellsWithTheSameWorkersAndCurrentValues() {
        var a = client.execute("""
                int base = 1;
                Pool rp = new Pool(2, "spawn");
                String first = rp.map(x -> x + base, List.of(1, 2, 3, 4)).toString();
                List<Integer> pids1 = rp.workerPids();
                first""");
        assertEquals("\"[2, 3, 4, 5]\"", a.result(), a.stderr() + a.reply().content());
        var b = client.execute("""
                base = 1000;
                String tag(int x) { return "t" + (x + base); }
                long t0 = System.nanoTime();
                String second = rp.map(x -> tag(x), List.of(1, 2, 3, 4)).toString();
                long ms = (System.nanoTime() - t0) / 1_000_000;
                second + " " + rp.workerPids().equals(pids1) + " " + rp.spawnCore().started()""");
        assertEquals("\"[t1001, t1002, t1003, t1004] true 2\"", b.result(), b.stderr() + b.reply().content());
        var c = client.execute("rp.terminate(); rp.state() + \" \" + rp.workerPids()");
        assertEquals("\"TERMINATE []\"", c.result(), c.reply().content().toString());
    }

    @Test
    void aWorkerExceptionComesBackWithPidAndStackAndThePoolStaysUsable() {
        var r = client.execute("""
                Pool ep = new Pool(2, "spawn");
                int boom(int x) { if (x == 3) throw new IllegalStateException("boom at " + x); return x; }
                ep.map(x -> boom(x), List.of(1, 2, 3, 4))""");
        assertEquals("jfork.pool.TaskFailedException", r.ename(), r.reply().content().toString());
        String evalue = r.reply().content().get("evalue").getAsString();
        assertTrue(evalue.matches("java.lang.IllegalStateException: boom at 3 \\(in worker \\d+, map item 2 \\(3\\)\\)"), evalue);
        String tb = String.join("\n", r.reply().content().getAsJsonArray("traceback").asList().stream().map(e -> e.getAsString()).toList());
        assertTrue(tb.contains("RemoteTraceback") && tb.contains("boom("), tb);
        var again = client.execute("ep.map(x -> x * 3, List.of(1, 2)) + \" \" + ep.state()");
        assertEquals("\"[3, 6] RUN\"", again.result(), again.reply().content().toString());
        var result = client.execute("ep.map(x -> new Thread(\"t\" + x), List.of(1))");
        assertEquals("jfork.pool.ResultNotSerializableException", result.ename());
        client.execute("ep.terminate();");
    }

    @Test
    void anUnsendableVariableOrItemIsNamedWithItsType() {
        var r = client.execute("""
                Thread th = new Thread(() -> {});
                int fine = 5;
                Pool up = new Pool(1, "spawn");
                up.map(x -> th.getName() + x + fine, List.of(1))""");
        assertEquals("jfork.pool.UnsendableValueException", r.ename(), r.reply().content().toString());
        String msg = r.reply().content().get("evalue").getAsString();
        assertTrue(msg.contains("cell variable 'th'") && msg.contains("java.lang.Thread"), msg);
        var item = client.execute("up.map(x -> x.toString(), List.of(new Object()))");
        assertEquals("jfork.pool.UnsendableValueException", item.ename(), item.reply().content().toString());
        String im = item.reply().content().get("evalue").getAsString();
        assertTrue(im.contains("item 0") && im.contains("java.lang.Object"), im);
        // the pool itself is a cell variable that cannot be sent, but a function that does not read it is fine
        var ok = client.execute("up.map(x -> x + fine, List.of(1, 2)) + \" \" + up.state()");
        assertEquals("\"[6, 7] RUN\"", ok.result(), ok.reply().content().toString());
        client.execute("up.terminate();");
    }

    @Test
    void aWorkerKilledFromOutsideIsReportedAndReplaced() throws Exception {
        var start = client.execute("Pool kp = new Pool(2, \"spawn\"); kp.spawnCore().awaitReady(20, TimeUnit.SECONDS)");
        assertEquals("true", start.result(), start.reply().content().toString());
        String id = client.send(client.shell, "execute_request", obj("code",
                "kp.map(x -> { Thread.sleep(400); return x; }, IntStream.range(0, 8).boxed().toList(), 1)",
                "silent", false, "store_history", true, "user_expressions", new JsonObject(), "allow_stdin", false, "stop_on_error", false));
        Thread.sleep(200);
        ProcessHandle victim = kernel.process.children().findFirst().orElseThrow();
        new ProcessBuilder("kill", "-KILL", Long.toString(victim.pid())).start().waitFor();
        var r = client.collect(id, 20_000);
        assertEquals("jfork.pool.WorkerLostException", r.ename(), r.reply().content().toString());
        String msg = r.reply().content().get("evalue").getAsString();
        assertTrue(msg.contains("worker " + victim.pid()) && msg.contains("SIGKILL"), msg);
        var after = client.execute("""
                kp.spawnCore().awaitReady(20, TimeUnit.SECONDS);
                kp.map(x -> x * 2, List.of(1, 2, 3)) + " " + kp.workerPids().size() + " " + kp.workerPids().contains(%d) + " " + kp.spawnCore().started()"""
                .formatted(victim.pid()));
        assertEquals("\"[2, 4, 6] 2 false 3\"", after.result(), after.reply().content().toString());
        client.execute("kp.terminate();");
    }

    @Test
    void theForkDeadlockOfALockHeldByAKernelThreadCompletesInSpawnMode() {
        var r = client.execute("""
                var hlock = new java.util.concurrent.locks.ReentrantLock();
                var hheld = new CountDownLatch(1);
                Thread hholder = new Thread(() -> { hlock.lock(); hheld.countDown(); try { Thread.sleep(20_000); } catch (InterruptedException e) {} finally { hlock.unlock(); } });
                hholder.start(); hheld.await();
                String hres;
                try (Pool hp = new Pool(1, "spawn")) {
                    hres = hp.apply(() -> { hlock.lock(); try { return "locked in " + ProcessHandle.current().pid(); } finally { hlock.unlock(); } });
                } finally { hholder.interrupt(); }
                hres + " " + hlock.isLocked()""");
        assertEquals("ok", r.status(), r.stderr() + r.reply().content());
        assertTrue(r.result().matches("\"locked in \\d+ (true|false)\""), r.result());
    }

    @Test
    void interruptMidMapKillsTheWorkerJvmsWithinASecondAndThePoolStartsNewOnes() throws Exception {
        var start = client.execute("Pool ip = new Pool(2, \"spawn\"); ip.spawnCore().awaitReady(20, TimeUnit.SECONDS)");
        assertEquals("true", start.result(), start.reply().content().toString());
        List<ProcessHandle> workers = kernel.process.children().toList();
        assertEquals(2, workers.size());
        String id = client.send(client.shell, "execute_request", obj("code",
                "ip.map(x -> { Thread.sleep(300); return x; }, IntStream.range(0, 40).boxed().toList(), 1);",
                "silent", false, "store_history", true, "user_expressions", new JsonObject(), "allow_stdin", false, "stop_on_error", false));
        Thread.sleep(500);
        long t0 = System.nanoTime();
        client.request(client.control, "interrupt_request", new JsonObject());
        while (workers.stream().anyMatch(ProcessHandle::isAlive) && System.nanoTime() - t0 < 3_000_000_000L) Thread.sleep(5);
        long ms = (System.nanoTime() - t0) / 1_000_000;
        System.out.println("SpawnPoolCellTest: worker JVMs gone " + ms + " ms after interrupt_request");
        assertTrue(ms < 1000, "workers still alive " + ms + " ms after the interrupt");
        var r = client.collect(id, 10_000);
        assertEquals("Interrupted", r.ename(), r.reply().content().toString());
        var again = client.execute("ip.map(x -> x + 1, List.of(1, 2)) + \" \" + ip.spawnCore().started()");
        assertEquals("\"[2, 3] 4\"", again.result(), again.reply().content().toString());
        client.execute("ip.terminate();");
    }

    @Test
    void terminateWithTasksRunningKillsThemAndFailsTheirResults() {
        var r = client.execute("""
                Pool tp = new Pool(2, "spawn");
                var a = tp.applyAsync(() -> { Thread.sleep(20_000); return 1; });
                var b = tp.applyAsync(() -> { Thread.sleep(20_000); return 2; });
                tp.spawnCore().awaitReady(20, TimeUnit.SECONDS);
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
    void theDefaultStartMethodCanBeSetForTheKernel() {
        var r = client.execute("""
                Pool.setDefaultStartMethod("spawn");
                String got;
                try (Pool dp = new Pool(1)) { got = dp.startMethod() + " " + dp.apply(() -> ProcessHandle.current().pid() != ProcessHandle.current().parent().map(p -> 0L).orElse(-1L)); }
                finally { Pool.setDefaultStartMethod("fork"); }
                got + " " + Pool.getDefaultStartMethod()""");
        assertEquals("\"spawn true fork\"", r.result(), r.stderr() + r.reply().content());
        var bad = client.execute("new Pool(1, \"vfork\")");
        assertEquals("java.lang.IllegalArgumentException", bad.ename());
    }

    @Test
    void thePoolMagicShowsAndSetsTheKernelsStartMethodAndRefusesBadValues() {
        var shown = client.execute("%pool --start-method");
        assertEquals("ok", shown.status(), shown.reply().content().toString());
        assertTrue(shown.result().contains("start method: fork"), shown.result());
        var set = client.execute("%pool --start-method spawn");
        assertTrue(set.result().contains("start method: spawn"), set.result());
        var used = client.execute("""
                String used;
                try (Pool mp = new Pool(1)) { used = mp.startMethod() + " " + mp.apply(x -> x * 3, 5) + " " + (mp.workerPids().get(0) != ProcessHandle.current().pid()); }
                used""");
        assertEquals("\"spawn 15 true\"", used.result(), used.stderr() + used.reply().content());
        var magicPool = client.execute("%%pool -n 2 --items 'List.of(1, 2)'\nx * 10"); // %%pool follows the default
        assertEquals("ok", magicPool.status(), magicPool.reply().content().toString());
        assertTrue(magicPool.result().startsWith("0: 1 -> 10"), magicPool.result());
        var bad = client.execute("%pool --start-method vfork");
        assertEquals("UsageError", bad.ename());
        String msg = bad.reply().content().get("evalue").getAsString();
        assertTrue(msg.contains("must be fork or spawn, got 'vfork'") && msg.contains("Usage:"), msg);
        assertEquals("UsageError", client.execute("%pool --start-method forkserver").ename());
        assertEquals("UsageError", client.execute("%pool --processes 2").ename());
        assertEquals("\"spawn\"", client.execute("Pool.getDefaultStartMethod()").result()); // unchanged by the errors
        var help = client.execute("%pool?");
        String text = help.reply().content().getAsJsonArray("payload").toString();
        assertTrue(text.contains("--start-method") && text.contains("set_start_method"), text);
        var back = client.execute("%pool --start-method fork");
        assertTrue(back.result().contains("start method: fork"), back.result());
        assertEquals("\"fork\"", client.execute("new Pool(1).startMethod()").result());
        client.execute("Pool.setDefaultStartMethod(\"fork\");");
    }

    @Test
    void closeReturnsAtOnceJoinWaitsAndImapGoesOnAfterAFailedItem() {
        var r = client.execute("""
                Pool cs = new Pool(2, "spawn");
                Pool.Fn<Integer, Integer> picky = x -> { if (x == 2) throw new IllegalArgumentException("bad " + x); return x * 10; };
                var seen = new ArrayList<String>();
                var it = cs.imap(picky, List.of(1, 2, 3));
                while (it.hasNext()) { try { seen.add("" + it.next()); } catch (jfork.pool.TaskFailedException e) { seen.add("E" + e.itemIndex()); } }
                var slow = cs.applyAsync(() -> { Thread.sleep(1000); return 7; });
                long c0 = System.nanoTime();
                cs.close();
                long closeMs = (System.nanoTime() - c0) / 1_000_000;
                boolean readyAtClose = slow.ready();
                cs.join();
                seen + " " + (closeMs < 500) + " " + readyAtClose + " " + slow.get() + " " + cs.workerPids()""");
        assertEquals("ok", r.status(), r.stderr() + r.reply().content());
        assertEquals("\"[10, E1, 30] true false 7 []\"", r.result());
    }

    /** Kernel shutdown (the libc _exit path) and a SIGKILLed kernel both leave no worker JVM behind. */
    @Test
    void kernelShutdownOrDeathLeavesNoWorkerJvm() throws Exception {
        for (boolean sigkill : new boolean[]{false, true}) {
            try (KernelProcess k = new KernelProcess(); TestClient c = new TestClient(k)) {
                c.waitReady();
                var r = c.execute("Pool zp = new Pool(2, \"spawn\"); zp.spawnCore().awaitReady(20, TimeUnit.SECONDS) + \" \" + zp.workerPids()");
                assertTrue(r.result() != null && r.result().startsWith("\"true ["), r.reply().content().toString());
                List<ProcessHandle> workers = k.process.children().toList();
                assertEquals(2, workers.size());
                assertEquals(2, workerJvms(k.pid()).size(), () -> workerJvms(k.pid()).toString());
                long t0 = System.nanoTime();
                if (sigkill) {
                    k.process.destroyForcibly();
                } else {
                    c.request(c.control, "shutdown_request", obj("restart", true));
                }
                assertTrue(k.process.waitFor(5, TimeUnit.SECONDS), "kernel did not end");
                // a zombie is dead (after the kernel's death, reaping it is init's business)
                while (workers.stream().anyMatch(SpawnPoolCellTest::running) && System.nanoTime() - t0 < 5_000_000_000L) Thread.sleep(10);
                long ms = (System.nanoTime() - t0) / 1_000_000;
                System.out.println("SpawnPoolCellTest: " + (sigkill ? "SIGKILLed kernel" : "shutdown") + ": workers gone after " + ms + " ms");
                assertTrue(workers.stream().noneMatch(SpawnPoolCellTest::running), "worker JVM alive after the kernel ended");
                assertEquals(List.of(), workerJvms(k.pid()));
            }
        }
    }

    static boolean running(ProcessHandle h) {
        return h.isAlive() && state(h.pid()) != 'Z';
    }

    /** Live processes whose command line marks them as spawn workers of kernel pid (ps). */
    static List<String> workerJvms(long kernelPid) {
        try {
            Process ps = new ProcessBuilder("ps", "-eo", "pid,stat,args").redirectErrorStream(true).start();
            String out = new String(ps.getInputStream().readAllBytes());
            ps.waitFor(5, TimeUnit.SECONDS);
            return out.lines().filter(l -> l.contains("-Djfork.spawn.kernel=" + kernelPid + " ") && l.contains("SpawnWorker"))
                    .filter(l -> !l.trim().split("\\s+")[1].startsWith("Z")).toList();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
