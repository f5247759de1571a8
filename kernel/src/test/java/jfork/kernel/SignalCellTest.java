package jfork.kernel;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.*;

/** Signals in cells, through a real client: SIGINT as KeyboardInterrupt, handlers, alarm, %kill, %signal, refusals. */
@Timeout(120)
class SignalCellTest extends KernelPerClass {
    /** Runs before the check for children and descriptors (subclass @AfterEach first). */
    @AfterEach
    void restoreDispositions() {
        // every test leaves the kernel's dispositions as it found them
        client.execute("for (int s : new int[]{signal.SIGINT, signal.SIGUSR1, signal.SIGALRM, signal.SIGTERM, signal.SIGCHLD}) signal.signal(s, signal.SIG_DFL);");
        assertTrue(kernel.process.isAlive());
    }

    @Test
    void theArticleExampleSigintToItselfEndsTheCellLikeKeyboardInterrupt() {
        var r = client.execute("System.out.println(\"before\");\nos.kill(os.getpid(), signal.SIGINT);\nSystem.out.println(\"not reached\");");
        assertEquals("error", r.status());
        assertEquals("Interrupted", r.ename(), evalue(r));
        assertTrue(r.stdout().contains("before"), r.stdout());
        assertFalse(r.stdout().contains("not reached"), r.stdout());
        assertEquals("2", client.execute("1 + 1").result(), "the kernel survives and the next cell runs");

        // a handler replaces the interrupt; it runs before os.kill returns, in this cell
        var h = client.execute("""
                signal.signal(signal.SIGINT, s -> System.out.println("caught " + signal.name(s)));
                os.kill(os.getpid(), signal.SIGINT);
                System.out.println("after");
                signal.getsignal(signal.SIGINT) == signal.SIG_DFL""");
        assertEquals("ok", h.status(), h.stderr() + evalue(h));
        assertEquals("caught SIGINT\nafter\n", h.stdout());
        assertEquals("false", h.result());

        // SIG_DFL restores the interrupt, and signal() returned the handler it replaced
        var d = client.execute("signal.Handler old = signal.signal(signal.SIGINT, signal.SIG_DFL);\n"
                + "System.out.println(old != signal.SIG_DFL && old != signal.SIG_IGN);\n"
                + "os.kill(os.getpid(), signal.SIGINT);\nSystem.out.println(\"not reached\");");
        assertEquals("Interrupted", d.ename(), d.stderr() + evalue(d));
        assertEquals("true\n", d.stdout());

        // SIG_IGN: nothing happens; SIG_DFL brings the interrupt back (the JVM trap of a real SIG_IGN avoided)
        var i = client.execute("signal.signal(signal.SIGINT, signal.SIG_IGN); os.kill(os.getpid(), signal.SIGINT); \"survived\"");
        assertEquals("ok", i.status(), evalue(i));
        assertEquals("\"survived\"", i.result());
        client.execute("signal.signal(signal.SIGINT, signal.SIG_DFL);");
        assertEquals("Interrupted", client.execute("os.kill(os.getpid(), signal.SIGINT);").ename());
    }

    @Test
    void aHandlerInTheKernelRunsWhenAForkedChildSignalsItsParent() throws Exception {
        var r = client.execute("""
                var got = new AtomicInteger();
                signal.signal(signal.SIGUSR1, s -> { got.incrementAndGet(); System.out.println("handler: " + signal.name(s) + " in " + os.getpid()); });
                int c = os.fork();
                if (c == 0) { os.kill(os.getppid(), signal.SIGUSR1); os._exit(0); }
                os.waitpid(c, 0);
                long until = System.currentTimeMillis() + 5000;
                while (got.get() == 0 && System.currentTimeMillis() < until) Thread.sleep(5);
                got.get()""");
        assertEquals("ok", r.status(), r.stderr() + evalue(r));
        assertEquals("1", r.result());
        assertTrue(r.stdout().contains("handler: SIGUSR1 in " + kernel.pid()), r.stdout());

        // an exception in a handler is reported on the cell's stderr
        var e = client.execute("""
                signal.signal(signal.SIGUSR1, s -> { throw new IllegalStateException("handler boom"); });
                os.kill(os.getpid(), signal.SIGUSR1);
                System.out.println("cell goes on");""");
        assertEquals("ok", e.status(), evalue(e));
        assertTrue(e.stderr().contains("Exception in the SIGUSR1 handler: java.lang.IllegalStateException: handler boom"), e.stderr());
        assertTrue(e.stdout().contains("cell goes on"));
    }

    @Test
    void inAForkedChildGetsignalSaysWhatTheOperatingSystemHasThere() {
        // the child's truth, read from /proc/self/status; run once in the kernel first (a child must not link new code)
        var view = client.execute("""
                String osView(int sig) throws Exception {
                    long ign = 0, cgt = 0;
                    for (String l : Files.readAllLines(Path.of("/proc/self/status"))) {
                        if (l.startsWith("SigIgn:")) ign = Long.parseUnsignedLong(l.substring(7).trim(), 16);
                        if (l.startsWith("SigCgt:")) cgt = Long.parseUnsignedLong(l.substring(7).trim(), 16);
                    }
                    long bit = 1L << (sig - 1);
                    return (ign & bit) != 0 ? "ignored" : (cgt & bit) != 0 ? "caught" : "default";
                }
                String seen(int sig) throws Exception {
                    return signal.name(sig) + " getsignal=" + signal.getsignal(sig) + " os=" + osView(sig);
                }
                int[] watched = {signal.SIGINT, signal.SIGTERM, signal.SIGUSR1, signal.SIGALRM};
                for (int s : watched) seen(s);""");
        assertEquals("ok", view.status(), evalue(view));
        var r = client.execute("""
                signal.signal(signal.SIGINT, signal.SIG_IGN);
                signal.signal(signal.SIGTERM, signal.SIG_IGN);
                signal.signal(signal.SIGUSR1, signal.SIG_IGN);
                signal.signal(signal.SIGALRM, s -> { });
                for (int s : watched) seen(s);
                int g = os.fork();
                if (g == 0) { for (int s : watched) System.out.println(seen(s)); os._exit(0); }
                os.waitpid(g, 0).status().toString()""");
        assertEquals("\"exited with code 0\"", r.result(), r.stderr() + evalue(r));
        // the fork reset INT and TERM to their defaults (the kernel ignores them at the Java level only);
        // USR1 is really ignored; ALRM is caught by the JVM's handler, which runs nothing in a child: null
        assertEquals("""
                SIGINT getsignal=SIG_DFL os=default
                SIGTERM getsignal=SIG_DFL os=default
                SIGUSR1 getsignal=SIG_IGN os=ignored
                SIGALRM getsignal=null os=caught
                """, r.stdout(), r.stderr());
        // the kernel's own answer is unchanged
        assertEquals("\"SIG_IGN\"", client.execute("signal.getsignal(signal.SIGINT).toString()").result());
    }

    @Test
    void idleHandlerOutputGoesToTheNextCell() throws Exception {
        client.execute("signal.signal(signal.SIGUSR1, s -> System.out.println(\"idle arrival \" + signal.name(s)));");
        new ProcessBuilder("kill", "-USR1", Long.toString(kernel.pid())).start().waitFor();
        Thread.sleep(300); // the handler has run by now, with no cell to print into
        assertTrue(client.drainIopub(200).stream().noneMatch(m -> m.type().equals("stream")), "nothing sent while idle");
        var next = client.execute("\"next\"");
        assertEquals("idle arrival SIGUSR1\n", next.stdout());
    }

    @Test
    void alarmRingsPauseWaitsAndZeroCancels() {
        var r = client.execute("""
                signal.signal(signal.SIGALRM, s -> System.out.println("alarm! " + signal.name(s)));
                long t0 = System.nanoTime();
                signal.alarm(1);
                signal.pause();
                System.out.println("woke after " + (System.nanoTime() - t0) / 1_000_000 + " ms");""");
        assertEquals("ok", r.status(), r.stderr() + evalue(r));
        Matcher m = Pattern.compile("alarm! SIGALRM\nwoke after (\\d+) ms\n").matcher(r.stdout());
        assertTrue(m.matches(), r.stdout());
        assertTrue(Integer.parseInt(m.group(1)) >= 900, r.stdout());
        var c = client.execute("signal.alarm(30); signal.alarm(0)");
        assertTrue(Set.of("30", "29").contains(c.result()), c.result());
        // pause is interruptible by the kernel's interrupt
        var p = client.execute("signal.signal(signal.SIGALRM, s -> os.kill(os.getpid(), signal.SIGINT)); signal.alarm(1); signal.pause(); \"not reached\"");
        assertEquals("Interrupted", p.ename(), evalue(p));
        // without a handler, alarm would end the kernel: refused
        client.execute("signal.signal(signal.SIGALRM, signal.SIG_DFL);");
        var refused = client.execute("signal.alarm(1)");
        assertEquals("java.lang.IllegalStateException", refused.ename());
        assertTrue(evalue(refused).contains("would end the kernel"), evalue(refused));
    }

    @Test
    void killStopAndContinueAChild() {
        var f = client.execute("""
                jfork.execution.CellProcesses.get().setWaitSeconds(0);
                int sl = os.fork();
                if (sl == 0) { while (true) Thread.sleep(20); }
                sl""");
        String pid = f.result();
        assertNotNull(pid, f.stderr() + evalue(f));
        try {
            var stop = client.execute("%kill -STOP " + pid);
            assertEquals("sent SIGSTOP to " + pid + " (child of this kernel, now: stopped)\n", stop.stdout(), stop.stderr());
            assertTrue(client.execute("%ps").result().matches("(?s).*" + pid + " .*stopped.*"));
            assertEquals("\"stopped by SIGSTOP\"", client.execute("os.waitpid(sl, os.WUNTRACED).status().toString()").result());
            var cont = client.execute("%kill -CONT " + pid);
            assertTrue(cont.stdout().startsWith("sent SIGCONT to " + pid + " (child of this kernel, now: continued"), cont.stdout());
            var term = client.execute("%kill " + pid);
            assertEquals("sent SIGTERM to " + pid + " (child of this kernel, now: killed by SIGTERM)\n", term.stdout(), term.stderr());
            assertEquals("\"killed by SIGTERM\"", client.execute("os.waitpid(sl, 0).status().toString()").result());
            // SIGINT and SIGHUP kill a child too, as they would a C process
            var both = client.execute("""
                    String ends = "";
                    for (int sig : new int[]{signal.SIGINT, signal.SIGHUP}) {
                        int k = os.fork();
                        if (k == 0) { while (true) Thread.sleep(20); }
                        Thread.sleep(100);
                        os.kill(k, sig);
                        ends += os.waitpid(k, 0).status() + ";";
                    }
                    ends""");
            assertEquals("\"killed by SIGINT;killed by SIGHUP;\"", both.result(), both.stderr() + evalue(both));
            // --force reaches a child's process group
            var g = client.execute("int grp = os.fork(); if (grp == 0) { while (true) Thread.sleep(20); } Thread.sleep(100); grp");
            var forced = client.execute("%kill --force -KILL -" + g.result());
            assertTrue(forced.stdout().startsWith("sent SIGKILL to -" + g.result() + " (process group"), forced.stdout() + forced.stderr());
            assertEquals("\"killed by SIGKILL\"", client.execute("os.waitpid(grp, 0).status().toString()").result());
        } finally {
            client.execute("jfork.execution.CellProcesses.get().setWaitSeconds(30);");
        }
    }

    @Test
    void everyRefusalSaysWhy() {
        assertRefused("os.kill(0, 15)", "refuses pid 0");
        assertRefused("os.kill(-5, 15)", "refuses pid -5");
        assertRefused("os.kill(-1, 9)", "every process");
        assertRefused("os.kill(1, 15)", "init");
        assertRefused("os.kill(os.getppid(), 15)", "the kernel's parent");
        assertRefused("os.kill(os.getpid(), signal.SIGTERM)", "shut the kernel down");
        assertRefused("os.kill(os.getpid(), signal.SIGKILL)", "SIGKILL would end it");
        assertRefused("os.kill(os.getpid(), signal.SIGSTOP)", "SIGSTOP would freeze it");
        assertRefused("os.kill(os.getpid(), signal.SIGUSR1)", "default action is to terminate");
        assertRefused("os.kill(os.getpid(), 11)", "the JVM handles SIGSEGV");
        assertRefused("os.kill(os.getpid(), 99)", "valid: SIGHUP, SIGINT");
        assertRefused("signal.parse(\"NOPE\")", "unknown signal 'NOPE'; valid: SIGHUP");
        assertRefused("os.killpg(0, 15)", "refuses process group 0");
        assertRefused("os.killpg(1, 15)", "refuses process group 1");
        assertRefused("signal.signal(signal.SIGKILL, s -> {})", "SIGKILL cannot be caught");
        assertRefused("signal.signal(signal.SIGSTOP, signal.SIG_IGN)", "SIGSTOP cannot be caught");
        for (String sig : new String[]{"SIGSEGV", "SIGBUS", "SIGFPE", "SIGILL", "SIGQUIT", "SIGUSR2", "SIGPIPE"}) {
            assertRefused("signal.signal(\"" + sig + "\", s -> {})", sig + " is reserved by the JVM");
        }
        var esrch = client.execute("os.kill(1 << 30, 15)");
        assertEquals("jfork.process.PosixException", esrch.ename());
        assertTrue(evalue(esrch).contains("ESRCH") && evalue(esrch).contains("1073741824"), evalue(esrch));
        // parse accepts the three spellings
        assertEquals("\"15 15 15 SIGTERM\"", client.execute("signal.parse(\"SIGTERM\") + \" \" + signal.parse(\"TERM\") + \" \" + signal.parse(\"15\") + \" \" + signal.name(15)").result());

        for (String pid : new String[]{"0", "1", Long.toString(parentPid())}) {
            var k = client.execute("%kill " + pid);
            assertEquals("KillError", k.ename(), k.stdout());
            assertTrue(k.stderr().contains("not sent to " + pid), k.stderr());
        }
        var neg = client.execute("%kill -TERM -5");
        assertEquals("KillError", neg.ename());
        assertTrue(neg.stderr().contains("process groups"), neg.stderr());
        var self = client.execute("%kill " + kernel.pid());
        assertTrue(self.stderr().contains("to the kernel itself"), self.stderr());
        var unknown = client.execute("%kill -FOO 123");
        assertEquals("UsageError", unknown.ename());
        assertTrue(evalue(unknown).contains("unknown signal 'FOO'; valid: SIGHUP, SIGINT"), evalue(unknown));
        var gone = client.execute("%kill 1073741824");
        assertTrue(gone.stderr().contains("ESRCH") && gone.stderr().contains("no such process"), gone.stderr());
        assertTrue(kernel.process.isAlive());
        assertEquals("2", client.execute("1 + 1").result());
    }

    @Test
    void epermNamesThePidTheSignalAndWhoRunsAsWhom() {
        String uid = client.execute("jfork.process.Native.posix().geteuid()").result();
        if ("0".equals(uid)) {
            // as root: a child drops to nobody, then signals another child of the kernel (root's, allowed by the pid rules)
            var r = client.execute("""
                    int target = os.fork();
                    if (target == 0) { while (true) Thread.sleep(20); }
                    jfork.process.Native.posix().setuid(-1); // EINVAL, changes nothing: binds the native call here, not in a child
                    int dropper = os.fork();
                    if (dropper == 0) {
                        if (jfork.process.Native.posix().setuid(65534) != 0) throw new IllegalStateException("setuid(65534) failed");
                        os.kill(target, signal.SIGTERM);
                        System.out.println("sent");
                        os._exit(0);
                    }
                    String dropperEnd = os.waitpid(dropper, 0).status().toString();
                    os.kill(target, signal.SIGKILL);
                    dropperEnd + ", target " + os.waitpid(target, 0).status()""");
            assertEquals("\"exited with code 1, target killed by SIGKILL\"", r.result(), "the SIGTERM never arrived: "
                    + r.stdout() + r.stderr() + evalue(r));
            String target = client.execute("target").result();
            assertFalse(r.stdout().contains("sent"), r.stdout());
            assertTrue(r.stderr().contains("jfork.process.PosixException: kill(" + target + ", SIGTERM) [not permitted: " + target
                    + " runs as root (uid 0), this process as nobody (uid 65534); only root may signal another user's processes]"
                    + ": EPERM, operation not permitted"), r.stderr());
            return;
        }
        // not root: a process of another user, probed with signal 0 (which would change nothing even if allowed)
        long me = ProcessHandle.current().pid();
        String myUser = ProcessHandle.current().info().user().orElse("?");
        var other = ProcessHandle.allProcesses()
                .filter(p -> p.pid() > 1 && p.pid() != parentPid() && p.info().user().filter(u -> !u.equals(myUser)).isPresent())
                .findFirst();
        org.junit.jupiter.api.Assumptions.assumeTrue(other.isPresent(), "EPERM not tested: the kernel runs as uid " + uid
                + " (not root, so it cannot drop to another user) and no process of another user is visible to signal");
        long pid = other.get().pid();
        var r = client.execute("os.kill(" + pid + ", 0)");
        assertEquals("jfork.process.PosixException", r.ename(), "pid " + pid + " of " + other.get().info().user() + " (test pid " + me + ")");
        assertTrue(evalue(r).startsWith("kill(" + pid + ", signal 0) [not permitted: " + pid + " runs as ")
                && evalue(r).endsWith("only root may signal another user's processes]: EPERM, operation not permitted"), evalue(r));
    }

    private static long parentPid() {
        return kernel.process.toHandle().parent().map(ProcessHandle::pid).orElse(-1L);
    }

    private static void assertRefused(String code, String because) {
        var r = client.execute(code);
        assertEquals("error", r.status(), code + " was not refused");
        assertTrue(evalue(r).contains(because), code + " -> " + r.ename() + ": " + evalue(r));
    }

    @Test
    void magicsAreListedAndSignalShowsAndChangesDispositions() {
        var ls = client.execute("%lsmagic");
        assertTrue(ls.result().contains("%kill") && ls.result().contains("%signal"), ls.result());
        var table = client.execute("%signal").result();
        assertTrue(table.matches("(?s).*SIGINT +2 +terminate +\\d+ +kernel: interrupts the running cell.*"), table);
        assertTrue(table.contains("SIGSEGV") && table.contains("reserved by the JVM"), table);
        assertTrue(table.matches("(?s).*SIGKILL .*cannot be caught or ignored.*"), table);
        assertTrue(table.matches("(?s).*SIGUSR1 +10 +terminate +\\d+ +default \\(terminate\\).*"), table);
        var trace = client.execute("%signal SIGUSR1 --trace\nos.kill(os.getpid(), signal.SIGUSR1);");
        assertTrue(trace.stdout().contains("SIGUSR1: trace") && trace.stdout().contains("[signal] SIGUSR1 (10) arrived"), trace.stdout() + trace.stderr());
        client.execute("%signal SIGUSR1 --default");
        assertTrue(client.execute("%signal").result().matches("(?s).*SIGUSR1 +10 +terminate +\\d+ +default \\(terminate\\).*"));
        var usage = client.execute("%signal SIGUSR1 --loud");
        assertEquals("UsageError", usage.ename());
        assertTrue(evalue(usage).contains("Usage:"));
    }

    @Test
    void sigchldCanBeHandledAndIgnoredWithoutBreakingWaitpid() {
        var h = client.execute("""
                signal.signal(signal.SIGCHLD, s -> System.out.println("a child changed state"));
                int c1 = os.fork();
                if (c1 == 0) os._exit(4);
                String st = os.waitpid(c1, 0).status().toString();
                Thread.sleep(200);
                st""");
        assertEquals("\"exited with code 4\"", h.result(), h.stderr() + evalue(h));
        assertTrue(h.stdout().contains("a child changed state"), h.stdout());
        // a real SIG_IGN would make Linux reap the child itself and waitpid fail with ECHILD
        var i = client.execute("signal.signal(signal.SIGCHLD, signal.SIG_IGN); int c2 = os.fork(); if (c2 == 0) os._exit(5);\n"
                + "os.waitpid(c2, 0).status().toString()");
        assertEquals("\"exited with code 5\"", i.result(), i.stderr() + evalue(i));
    }

    @Test
    void aBurstOfAThousandSignalsLeavesTheKernelAliveAndIsCountedHonestly() {
        var r = client.execute("""
                var count = new AtomicInteger();
                signal.signal(signal.SIGUSR1, s -> count.incrementAndGet());
                int b = os.fork();
                if (b == 0) { for (int i = 0; i < 1000; i++) os.kill(os.getppid(), signal.SIGUSR1); os._exit(0); }
                System.out.println(os.waitpid(b, 0).status());
                Thread.sleep(1000);
                System.out.println("handled " + count.get() + " of 1000 sent (signals coalesce)");
                count.get()""");
        assertEquals("ok", r.status(), r.stderr() + evalue(r));
        assertTrue(r.stdout().startsWith("exited with code 0\n"), r.stdout());
        int n = Integer.parseInt(r.result());
        assertTrue(n >= 1 && n <= 1000, "count " + n);
        assertEquals("2", client.execute("1 + 1").result());
        System.out.println("burst: " + r.stdout().strip());
    }
}
