package jfork.kernel;

import com.google.gson.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
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

/** fork() from cells, through a real client: output in the cell, children reaped, nothing leaked. */
@Timeout(120)
class ForkCellTest extends KernelPerClass {
    @Test
    void theArticleExamplePrintsParentAndChildLinesInTheCell() {
        var r = client.execute("""
                void parentChildProcess() {
                    int n = os.fork();
                    int id = os.getpid();
                    if (n > 0) System.out.println("Parent process: " + id);
                    else System.out.println("Child process: " + id);
                }
                parentChildProcess();""");
        assertEquals("ok", r.status());
        Matcher parent = Pattern.compile("Parent process: (\\d+)").matcher(r.stdout());
        Matcher child = Pattern.compile("Child process: (\\d+)").matcher(r.stdout());
        assertTrue(parent.find() && child.find(), r.stdout());
        assertEquals(Long.toString(kernel.pid()), parent.group(1));
        assertNotEquals(parent.group(1), child.group(1));
    }

    @Test
    void atTopLevelTheChildRunsTheRestOfTheCellThenEnds() {
        var r = client.execute("""
                int pid = os.fork();
                if (pid == 0) System.out.println("child " + os.getpid());
                else System.out.println("parent of " + pid);
                System.out.println("both " + os.getpid());
                pid""");
        assertEquals("ok", r.status());
        String child = r.result();
        assertTrue(r.stdout().contains("child " + child), () -> r.stdout() + r.stderr() + logOf(kernel));
        assertTrue(r.stdout().contains("parent of " + child));
        assertTrue(r.stdout().contains("both " + child));
        assertTrue(r.stdout().contains("both " + kernel.pid()));
        assertEquals(child, client.execute("pid").result(), "the kernel keeps its own variables");
    }

    @Test
    void aChildExceptionIsShownWithItsPidAndTheKernelGoesOn() {
        var r = client.execute("int k = os.fork(); if (k == 0) { throw new IllegalStateException(\"child boom\"); }\n"
                + "System.out.println(\"after in \" + os.getpid());");
        assertEquals("ok", r.status());
        assertTrue(r.stderr().matches("(?s).*\\[child \\d+] java.lang.IllegalStateException: child boom.*"), r.stderr());
        assertTrue(r.stdout().contains("after in " + kernel.pid()));
        assertFalse(r.stdout().contains("after in " + client.execute("k").result()), "the child stopped at its exception");
    }

    @Test
    void anExceptionAfterForkInTheSameSnippetIsTheChildsErrorAndTheRestOfTheCellIsSkipped() {
        // the fork and the throw are in one snippet (the loop): the child's exception leaves that snippet's doit
        var r = client.execute("""
                for (int i = 0; i < 3; i++) {
                    int p = os.fork();
                    if (p == 0) { if (i == 1) throw new IllegalStateException("boom in child " + i); os._exit(0); }
                }
                System.out.println("after in " + os.getpid());""");
        assertEquals("ok", r.status(), r.stderr());
        assertTrue(r.stderr().matches("(?s)\\[child \\d+] java.lang.IllegalStateException: boom in child 1\n.*"), r.stderr());
        assertEquals("after in " + kernel.pid() + "\n", r.stdout(), "only the kernel runs the rest of the cell");
    }

    @Test
    void aDeclarationOfSeveralVariablesAfterForkSetsEveryOneInParentAndChild() {
        // JShell makes two snippets of it, each with its own initializer, compiled ahead of the fork
        var r = client.execute("int md = os.fork(); int first = 1 + 1, second = 2 + 1;\n"
                + "System.out.println((md == 0 ? \"child\" : \"parent\") + \": \" + first + \" \" + second);");
        assertEquals("ok", r.status(), r.stderr());
        assertEquals(List.of("child: 2 3", "parent: 2 3"), r.stdout().lines().sorted().toList(), r.stderr());
        assertEquals("\"2 3\"", client.execute("first + \" \" + second").result(), "the kernel keeps both values");
    }

    @Test
    void waitGivesEachEndedChildOnceEvenWhenTheKernelReapedItFirst() {
        var r = client.execute("""
                int w1 = os.fork(); if (w1 == 0) os._exit(3);
                int w2 = os.fork(); if (w2 == 0) { Thread.sleep(300); os._exit(4); }
                // the kernel's background reaper takes w1 (no zombie is left waiting), before any wait
                while (!jfork.process.Forker.get().children().get(w1).reaped()) Thread.sleep(2);
                var first = os.wait_();
                var second = os.wait_();
                (first.pid() == w1) + " " + first.status() + ", " + (second.pid() == w2) + " " + second.status()""");
        assertEquals("\"true exited with code 3, true exited with code 4\"", r.result(), r.stderr());
        // a cell waits for its children when it ends: a later wait has nothing left
        var none = client.execute("os.wait_()");
        assertEquals("jfork.process.PosixException", none.ename(), none.stderr());
        assertTrue(none.reply().content().get("evalue").getAsString().contains("ECHILD"), none.reply().content().toString());
    }

    @Test
    void forkMagicRunsTheBodyInNChildrenAndLabelsTheirLines() {
        var one = client.execute("%%fork\nSystem.out.println(\"solo \" + os.getpid());");
        assertTrue(one.stdout().startsWith("solo "), one.stdout());
        client.execute("int untouched = 1;");
        var four = client.execute("%%fork -n 4\nuntouched = 99;\nSystem.out.println(\"hello from \" + os.getpid());");
        assertEquals("ok", four.status(), four.stderr());
        List<String> lines = four.stdout().lines().toList();
        assertEquals(4, lines.size(), four.stdout() + four.stderr());
        for (String l : lines) assertTrue(l.matches("\\[(\\d+)] hello from \\1"), l);
        assertEquals("1", client.execute("untouched").result(), "the parent's variables are unchanged");
        var bad = client.execute("%%fork -n zero\n1;");
        assertEquals("UsageError", bad.ename());
        assertTrue(bad.reply().content().get("evalue").getAsString().contains("Usage:"));
    }

    @Test
    void aChildKilledMidOutputKeepsWhatItPrinted() {
        var r = client.execute("""
                int victim = os.fork();
                if (victim == 0) { for (int i = 0; ; i++) { System.out.println("tick " + i); Thread.sleep(20); } }
                Thread.sleep(400);
                os.kill(victim, 9);
                os.waitpid(victim, 0).status()""");
        assertEquals("ok", r.status(), r.stderr());
        assertTrue(r.stdout().contains("tick 0") && r.stdout().contains("tick 5"), () -> r.stdout() + r.stderr() + logOf(kernel));
        assertEquals("killed by SIGKILL", r.result());
    }

    @Test
    void psListsChildrenAndBadPidsAreRefused() {
        client.execute("int p1 = os.fork(); if (p1 == 0) os._exit(3);");
        var ps = client.execute("%ps");
        assertTrue(ps.result().contains("exited with code 3"), ps.result());
        var refused = client.execute("os.kill(-1, 15)");
        assertEquals("java.lang.IllegalArgumentException", refused.ename());
        assertTrue(refused.reply().content().get("evalue").getAsString().contains("-1"));
    }

    @Test
    void aChildBlockedOnALockHeldByAKernelThreadIsDetectedExplainedAndKilled() {
        var r = client.execute("""
                var lock = new java.util.concurrent.locks.ReentrantLock();
                var held = new java.util.concurrent.CountDownLatch(1);
                Thread holder = new Thread(() -> { lock.lock(); held.countDown(); try { Thread.sleep(5000); } catch (InterruptedException e) {} finally { lock.unlock(); } });
                holder.start(); held.await();
                lock.tryLock(); lock.isLocked();
                int blocked = os.fork();
                if (blocked == 0) { lock.lock(); System.out.println("never printed"); }
                holder.interrupt();
                blocked""");
        assertEquals("ok", r.status(), r.stderr());
        assertFalse(r.stdout().contains("never printed"));
        assertTrue(r.stderr().contains("child " + r.result() + " hung"), r.stderr());
        assertTrue(r.stderr().contains("keeps only the thread"), r.stderr());
    }

    @Test
    void aForkBombMeetsTheCapWithAClearErrorAndOutputStaysReadable() {
        assertEquals("ok", client.execute("%fork_config --max-children 3 --wait 5").status());
        try {
            var r = client.execute("""
                    List<Integer> kids = new ArrayList<>();
                    try {
                        while (true) { int p = os.fork(); if (p == 0) { System.out.println("bomb child " + os.getpid()); Thread.sleep(60_000); } kids.add(p); }
                    } finally {
                        for (int k : kids) os.kill(k, 9);
                        for (int k : kids) os.waitpid(k, 0);
                    }""");
            assertEquals("jfork.process.ForkRefusedException", r.ename(), r.stderr());
            assertTrue(r.reply().content().get("evalue").getAsString().contains("cap 3"), r.reply().content().toString());
            String first = client.execute("kids.get(0)").result();
            var out = client.execute("%output " + first);
            assertEquals("bomb child " + first, out.result().strip());
            assertEquals("UsageError", client.execute("%output 1").ename());
        } finally {
            client.execute("%fork_config --max-children 64 --wait 30");
        }
    }

    @Test
    void execReplacesTheChildAndItsOutputReachesTheCell() throws IOException {
        var r = client.execute("int e = os.fork(); if (e == 0) os.execvp(\"echo\", \"echo\", \"exec says hi\");");
        assertEquals("exec says hi\n", r.stdout(), r.stderr() + kernel.log());
    }

    @Test
    void shutdownWithLiveChildrenLeavesNoneBehind() throws Exception {
        try (KernelProcess k = new KernelProcess(); TestClient c = new TestClient(k)) {
            c.waitReady();
            c.send(c.shell, "execute_request", obj("code", "for (int i = 0; i < 3; i++) { if (os.fork() == 0) { while (true) Thread.sleep(1000); } }",
                    "silent", false, "store_history", true, "user_expressions", new JsonObject(), "allow_stdin", false, "stop_on_error", true));
            List<ProcessHandle> kids = List.of();
            for (int i = 0; i < 100 && kids.size() < 3; i++) {
                Thread.sleep(100);
                kids = k.process.children().filter(h -> state(h.pid()) != 'Z').toList();
            }
            assertEquals(3, kids.size(), "three children alive before shutdown");
            c.request(c.control, "shutdown_request", obj("restart", true)); // a restart ends this kernel the same way
            assertTrue(k.process.waitFor(2, TimeUnit.SECONDS));
            Thread.sleep(200);
            for (ProcessHandle h : kids) assertFalse(h.isAlive(), "child " + h.pid() + " outlived the kernel");
        }
    }

    static String logOf(KernelProcess k) {
        try {
            return k.log();
        } catch (IOException e) {
            return "(no log: " + e + ")";
        }
    }
}
